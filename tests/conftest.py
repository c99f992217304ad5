pytest_plugins = [
    "tests.support.backends",
    "tests.support.browser",
    "tests.support.redis_server",
    "tests.support.servers",
]
