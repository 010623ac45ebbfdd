"""Run a function in many threads at once, each on its own database connection."""

import threading

from django.db import connection


def run_concurrently(fn, count: int) -> tuple[list, list[BaseException]]:
    barrier = threading.Barrier(count)
    results, errors, lock = [], [], threading.Lock()

    def worker():
        try:
            barrier.wait()
            value = fn()
            with lock:
                results.append(value)
        except BaseException as exc:  # collected and asserted on by the test
            with lock:
                errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results, errors
