#!/usr/bin/env python3
"""Function and file lengths of src/ and apps/: every function longer than --max-function lines
(default 80) and every file longer than --max-file lines (default 400), longest first.

A short function has one job a reader can hold in mind; the limits are the house's. The scan is
lexical: it strips comments, strings and character literals, then takes a function body to be a
brace block opened at namespace or class depth after a parameter list. Lambdas and local classes
count towards the function that holds them.

Functions and files over the limits when this check came are listed in KNOWN with the length they
had: they may shrink, never grow, and an entry that is no longer over its limit must be removed (the
list only gets shorter). Anything else over a limit fails.

Exit status: 0 when nothing fails (always with --report), 1 otherwise.
"""
import argparse
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent


def strip(text):
    """The text with comments, strings and char literals blanked (newlines kept)."""
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith('//', i):
            j = text.find('\n', i)
            j = n if j < 0 else j
            i = j
        elif text.startswith('/*', i):
            j = text.find('*/', i + 2)
            j = n if j < 0 else j + 2
            out.append('\n' * text.count('\n', i, j))
            i = j
        elif text.startswith('R"', i):
            m = re.match(r'R"([^(]*)\(', text[i:])
            end = ')' + m.group(1) + '"'
            j = text.find(end, i)
            j = n if j < 0 else j + len(end)
            out.append('""' + '\n' * text.count('\n', i, j))
            i = j
        elif c in '"\'':
            j = i + 1
            while j < n and text[j] != c:
                j += 2 if text[j] == '\\' else 1
            out.append(c + c)
            i = j + 1
        else:
            out.append(c)
            i += 1
    return ''.join(out)


# (file, function or None for the file itself) -> the length it had; to be split, then removed.
KNOWN = {}

SCOPE = re.compile(r'\b(namespace|class|struct|union|enum)\b[^;{)]*$')


def functions(path):
    """(name, first line, length in lines) of each function body in the file."""
    text = strip(path.read_text())
    found, stack, head_start = [], [], 0
    for i, c in enumerate(text):
        if c == '{':
            head = text[head_start:i]
            in_function = any(kind == 'function' for kind, _, _ in stack)
            if in_function:
                stack.append(('block', i, ''))
            elif SCOPE.search(head.strip().split('\n')[-1] if head.strip() else '') or \
                    re.search(r'\b(namespace|class|struct|union|enum)\b', head.split(')')[0]) and \
                    ')' not in head:
                stack.append(('scope', i, ''))
            elif ')' in head and not head.rstrip().endswith('='):
                name = re.findall(r'([~\w:]+)\s*\(', head)
                stack.append(('function', i, name[0] if name else '?'))
            else:
                stack.append(('block', i, ''))
            head_start = i + 1
        elif c == '}':
            if stack:
                kind, start, name = stack.pop()
                if kind == 'function':
                    first = text.count('\n', 0, start) + 1
                    last = text.count('\n', 0, i) + 1
                    found.append((name, first, last - first + 1))
            head_start = i + 1
        elif c == ';':
            head_start = i + 1
    return found


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--max-function', type=int, default=80)
    parser.add_argument('--max-file', type=int, default=400)
    parser.add_argument('--report', action='store_true', help='list, but exit 0')
    args = parser.parse_args()
    files = sorted(p for d in ('src', 'apps') for p in (ROOT / d).rglob('*')
                   if p.suffix in ('.h', '.cpp'))
    over, failures, seen = [], [], set()
    for path in files:
        rel = str(path.relative_to(ROOT))
        lines = path.read_text().count('\n')
        entries = [(None, lines, rel, args.max_file)]
        entries += [(name, length, f'{rel}:{first}', args.max_function)
                    for name, first, length in functions(path)]
        for name, length, where, limit in entries:
            if length <= limit:
                continue
            key = (rel, name)
            kind = 'file    ' if name is None else 'function'
            over.append((length, f'{kind} {length:4d} lines  {where}  {name or ""}'))
            seen.add(key)
            if key not in KNOWN:
                failures.append(f'{where} {name or "(file)"}: {length} lines, over {limit}')
            elif length > KNOWN[key]:
                failures.append(f'{where} {name or "(file)"}: grew from {KNOWN[key]} to {length} '
                                f'lines (split it instead)')
    for key in sorted(set(KNOWN) - seen):
        failures.append(f'{key[0]} {key[1] or "(file)"}: now within its limit; remove it from '
                        f'KNOWN in scripts/check_lengths.py')
    for _, line in sorted(over, reverse=True):
        print(line)
    for failure in failures:
        print('check_lengths: ' + failure)
    print(f'check_lengths: {len(over)} over the limits ({args.max_function} lines a function, '
          f'{args.max_file} a file; {len(KNOWN)} known), {len(failures)} failing, '
          f'{len(files)} files')
    return 0 if args.report or not failures else 1


if __name__ == '__main__':
    sys.exit(main())
