"""On a failed scale-out test, the end of every server's log goes into the test report."""
import pytest


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when == "call" and report.failed:
        cluster = item.funcargs.get("cluster") or item.funcargs.get("infra")
        if cluster is not None:
            report.sections.append(("server logs", cluster.logs()))
