#!/usr/bin/env python3
"""Documents built from a program's own -help, so they never drift from it.

  helpdoc.py man PROGRAM SECTION-TITLE > PROGRAM.1
  helpdoc.py conf HEARSAYD > hearsay.conf.example

The option list is parsed from -help: an option line is two spaces and a
dash; its description follows, indented further, up to the next option or
blank line. Anything else is prose, kept as it stands."""
import re
import subprocess
import sys

OPT_RE = re.compile(r'^  (-[A-Za-z0-9](?:\S| (?=-))*)(?:\s{2,}(.*))?$')


def run_help(program):
    out = subprocess.run([program, '-help'], stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, check=False, timeout=30)
    return out.stdout.decode('utf-8', 'replace').splitlines()


def version(program):
    out = subprocess.run([program, '-version'], stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, check=False, timeout=30)
    words = out.stdout.decode('utf-8', 'replace').split()
    return next((w for w in words if re.match(r'v?\d+\.\d+', w)), 'unknown')


def parse(lines):
    """Returns (usage prose, [(group, [(name, description)])], trailing prose).
    Options separated by a blank line form a group."""
    head, groups, tail = [], [], []
    current, opt = None, None
    for line in lines:
        m = OPT_RE.match(line)
        if m:
            if current is None:
                current = []
                groups.append(current)
            opt = [m.group(1), m.group(2) or '']
            current.append(opt)
        elif not line.strip():
            current, opt = None, None
        elif opt is not None and line.startswith('   '):
            opt[1] = (opt[1] + ' ' + line.strip()).strip()
        elif groups:
            tail.append(line)
        else:
            head.append(line)
    return head, groups, tail


def roff(text):
    text = text.replace('\\', '\\e')
    return re.sub(r'^([.\'])', r'\\&\1', text.replace('-', '\\-'), flags=re.M)


def man(program, title):
    name = program.rsplit('/', 1)[-1]
    head, groups, tail = parse(run_help(program))
    out = [f'.TH {name.upper()} 1 "" "hearsay {version(program)}" "{title}"',
           '.SH NAME', f'{name} \\- {roff(title)}', '.SH SYNOPSIS']
    synopsis, prose, in_usage = [], [], False
    for line in head:
        if line.startswith('Usage:'):
            in_usage = True
            line = line[len('Usage:'):]
        elif not line.startswith(' '):
            in_usage = False
        if in_usage and line.strip():
            synopsis.append(re.sub(r'\s{2,}.*$', '', line.strip()))
        elif line.strip() and line.strip() != 'Options:' and ' version ' not in line:
            prose.append(line.strip())
    out.append('\n.br\n'.join(roff(l) for l in synopsis))
    if prose:
        out += ['.SH DESCRIPTION', roff(' '.join(prose))]
    out.append('.SH OPTIONS')
    for group in groups:
        for opt, desc in group:
            out += ['.TP', f'\\fB{roff(opt)}\\fR', roff(desc)]
    if tail:
        out += ['.SH NOTES', roff(' '.join(l.strip() for l in tail))]
    out += ['.SH SEE ALSO', 'hearsayd(1), hearsay\\-cli(1)']
    return '\n'.join(out) + '\n'


def wrap(text, width=76):
    words, lines, line = text.split(), [], '#'
    for w in words:
        if len(line) + 1 + len(w) > width:
            lines.append(line)
            line = '#'
        line += ' ' + w
    lines.append(line)
    return lines


def conf(program):
    _, groups, tail = parse(run_help(program))
    out = ['# hearsay.conf: every option hearsayd knows, with its default.',
           '# Generated from `hearsayd -help`; lines are name=value, [main] [test]',
           '# [testnet4] [signet] [regtest] sections hold options for one chain.',
           '# Uncomment a line to change the value.', '']
    skip = {'-help', '-version', '-conf', '-datadir'}  # command-line only
    for group in groups:
        for opt, desc in group:
            name = opt.split('=', 1)[0]
            if name in skip:
                continue
            out += wrap(desc)
            m = re.search(r'\(default: ([^)]*)\)\s*$', desc)
            value = m.group(1) if m else ('' if '=' in opt else '0')
            value = value if ' ' not in value else ''
            out.append(f'#{name[1:]}={value}')
            out.append('')
    return '\n'.join(out)


def main(argv):
    if len(argv) >= 4 and argv[1] == 'man':
        sys.stdout.write(man(argv[2], argv[3]))
    elif len(argv) == 3 and argv[1] == 'conf':
        sys.stdout.write(conf(argv[2]))
    else:
        sys.stderr.write(__doc__)
        return 2
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
