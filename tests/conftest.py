pytest_plugins = [
    "tests.support.redis_server",
    "tests.support.servers",
]
