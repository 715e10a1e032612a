#!/usr/bin/python3
"""Instructions per delivery of crier-sender-matrix in the ten-room row, counted by valgrind's
callgrind: exact and repeatable where CPU time on a shared machine moves by a fifth between
runs, so that a small change to the hot path can be judged (docs/benchmarks.md).

    bench/instructions.py --bin build-release/bin --work /tmp/crier-instructions [--count 300]

Starts the bench's sinks and crier (bench/bench.py) with the Matrix sender under callgrind,
warms up with 200 notifications to #ten, counts instructions (user space only: the kernel's
share is not counted) over --count more (ten deliveries each), and prints the total per
delivery and the functions that cost most. Keep --count small: under valgrind, libzmq 4.3.4's
I/O thread may abort after a few thousand deliveries ("Assertion failed: _input_stopped",
libzmq issue 3937), which ends the run early."""
import argparse
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", required=True)
    parser.add_argument("--work", required=True)
    parser.add_argument("--count", type=int, default=300)
    options = parser.parse_args()
    os.makedirs(options.work, exist_ok=True)
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    run = bench.Bench(root, os.path.abspath(options.bin), options.work, False, options.count)
    out = os.path.join(options.work, "callgrind.out")
    try:
        run.start_couch()
        run.start_nginx()
        run.start_smtp_sink()
        env = run.crier_env({"CRIER_LOG_LEVEL": "info"})
        for name in bench.PROCESSES:
            argv = [os.path.join(run.bin, name)]
            if name == "crier-sender-matrix":
                argv = ["valgrind", "--tool=callgrind", "--instr-atstart=no",
                        f"--callgrind-out-file={out}"] + argv
            run.crier[name] = run.spawn(name, argv, env=env)
            bench.wait_until(name, lambda: run.log_has(name, bench.READY[name]), 120)
        run.throughput("#ten", 200, 10, 0, "warm-up")
        pid = str(run.crier["crier-sender-matrix"].pid)
        subprocess.run(["callgrind_control", "-i", "on", pid], check=True, capture_output=True)
        run.throughput("#ten", options.count, 10, 0, "ten rooms")
        subprocess.run(["callgrind_control", "-i", "off", pid], check=True, capture_output=True)
    except bench.Failure as failure:
        print(f"instructions: {failure}; logs in {options.work}", file=sys.stderr)
        return 1
    finally:
        run.stop_all()
    report = subprocess.run(["callgrind_annotate", "--inclusive=yes", out], check=True,
                            capture_output=True, text=True).stdout
    lines = report.splitlines()
    total = next(int(line.split()[0].replace(",", "")) for line in lines
                 if "PROGRAM TOTALS" in line)
    deliveries = options.count * 10
    print(f"crier-sender-matrix: {total / deliveries:,.0f} instructions per delivery "
          f"({deliveries} deliveries, ten rooms; user space)")
    print("most inclusive (per delivery):")
    listed = 0
    for line in lines:
        fields = line.split()
        if len(fields) >= 3 and fields[0].replace(",", "").isdigit() and "%" in fields[1] \
                and "TOTALS" not in line:
            print(f"  {int(fields[0].replace(',', '')) / deliveries:>10,.0f}  {fields[-2]}")
            listed += 1
            if listed == 40:
                break
    return 0


if __name__ == "__main__":
    sys.exit(main())
