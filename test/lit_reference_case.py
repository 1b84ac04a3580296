"""The lit test format of the reference cases (test/data/lit.local.cfg).

Every JSON file under test/data/<family>/ but the XGBoost model files
(*.model.json, which the cases name) is one test, run as
`specjit check FILE` (tools/specjit/CheckCommand.cpp says what it checks).
A module of its own so that lit's worker processes can unpickle it.
"""
import lit.formats
import lit.Test
import lit.util


class ReferenceCase(lit.formats.FileBasedTest):
    def __init__(self, specjit):
        self.specjit = specjit

    def getTestsInDirectory(self, testSuite, path_in_suite, litConfig, localConfig):
        for test in super().getTestsInDirectory(testSuite, path_in_suite, litConfig,
                                                localConfig):
            if not test.getSourcePath().endswith(".model.json"):
                yield test

    def execute(self, test, litConfig):
        cmd = [self.specjit, "check", test.getSourcePath()]
        try:
            out, err, code = lit.util.executeCommand(
                cmd, env=test.config.environment,
                timeout=litConfig.maxIndividualTestTime)
        except lit.util.ExecuteCommandTimeoutException as e:
            return lit.Test.TIMEOUT, "timed out: %s\n%s" % (" ".join(cmd), e)
        output = "$ %s\n%s%s" % (" ".join(cmd), out, err)
        return (lit.Test.PASS if code == 0 else lit.Test.FAIL), output
