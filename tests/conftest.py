pytest_plugins = [
    "tests.support.browser",
    "tests.support.redis_server",
    "tests.support.servers",
]
