#!/usr/bin/env python3
"""Writes a synthetic Aria program of about N lines (default 5,000) to stdout,
for measuring `aria run` start-up (BENCHMARKS.md: JIT compile of 5,000 lines)."""
import sys

n_lines = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
funcs = n_lines // 10
out = []
for i in range(funcs):
    out.append(f"func:f{i} = int64(int64:x) {{")
    out.append(f"    int64:acc = x * {i % 7 + 1};")
    out.append(f"    till(3, 1) {{ acc += $ + {i}; }}")
    out.append(f"    if (acc % 2 == 0) {{ acc = acc / 2; }} else {{ acc = acc * 3 + 1; }}")
    out.append(f"    string:s = `f{i}:&{{acc}}`;")
    out.append(f"    if (s.length > 100) {{ fail(1); }}")
    prev = f"f{i - 1}(acc)" if i > 0 else "acc"
    out.append(f"    pass({prev} % 1000);")
    out.append("};")
    out.append("")
    out.append("")
out.append("func:main = int32() {")
out.append(f"    println(f{funcs - 1}(1));")
out.append("    pass(0);")
out.append("};")
print("\n".join(out))
