# expect: PR003
from concurrent.futures import ProcessPoolExecutor, as_completed


def run_all(jobs):
    with ProcessPoolExecutor(max_workers=4) as executor:
        futures = [executor.submit(lambda job=job: job * 2) for job in jobs]
        return [f.result() for f in as_completed(futures)]
