"""Render a report (``report.html``) in headless Chromium and save a PNG of
the page, to check it reads well in a real browser.

Usage: python tools/report_screenshot.py work_dirs/demo/report.html OUT.png
       [--width 1366 --height 3000]
"""
import argparse
import os
import os.path as osp
import shutil
import subprocess
import sys
import tempfile

BROWSERS = ('chromium', 'chromium-browser', 'google-chrome')


def find_browser() -> str:
    for name in BROWSERS:
        path = shutil.which(name)
        if path:
            return path
    return ''


def screenshot(report: str, out: str, width: int = 1366,
               height: int = 3000) -> str:
    """Headless Chromium, no network, a fresh profile; returns ``out``."""
    browser = find_browser()
    if not browser:
        raise FileNotFoundError(
            f'no browser found (tried {", ".join(BROWSERS)}); expected '
            f'Debian\'s chromium: apt-get install chromium')
    if not osp.isfile(report):
        raise FileNotFoundError(f'{report}: file not found')
    with tempfile.TemporaryDirectory() as profile:
        cmd = [browser, '--headless', '--no-sandbox', '--disable-gpu',
               '--disable-quic', '--no-first-run',
               '--disable-background-networking',
               '--disable-component-update', '--disable-sync',
               f'--user-data-dir={profile}', '--hide-scrollbars',
               f'--window-size={width},{height}',
               f'--screenshot={osp.abspath(out)}',
               'file://' + osp.abspath(report)]
        proc = subprocess.run(cmd, capture_output=True, text=True,
                              timeout=120)
    if proc.returncode != 0 or not osp.isfile(out):
        raise RuntimeError(f'{browser} failed ({proc.returncode}): '
                           f'{proc.stderr.strip().splitlines()[-1:]}')
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('report')
    parser.add_argument('out')
    parser.add_argument('--width', type=int, default=1366)
    parser.add_argument('--height', type=int, default=3000)
    args = parser.parse_args()
    try:
        print(screenshot(args.report, args.out, args.width, args.height))
    except (FileNotFoundError, RuntimeError) as e:
        sys.exit(f'report_screenshot: {e}')


if __name__ == '__main__':
    os.environ.setdefault('LANG', 'C.UTF-8')
    main()
