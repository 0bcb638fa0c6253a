"""Pages shown in headless Chromium (``scripts/install-chromium``): what a probe script saw on load."""

from __future__ import annotations

import html as html_text
import json
import re
import shutil
import subprocess
from pathlib import Path

CHROMIUM = shutil.which("chromium")

PROBE = """<script>
window.probeErrors = [];
window.addEventListener("error",
  e => probeErrors.push(String(e.message || (e.target && e.target.outerHTML)).slice(0, 200)), true);
document.addEventListener("securitypolicyviolation",
  e => probeErrors.push("CSP " + e.violatedDirective + " " + e.blockedURI));
window.addEventListener("load", () => {
  const out = document.createElement("pre");
  out.id = "probe";
  out.textContent = JSON.stringify({errors: probeErrors,
    images: [...document.images].map(i => [i.naturalWidth, i.naturalHeight]),
    marks: document.querySelectorAll("mark").length});
  document.body.appendChild(out);
});
</script>
"""
"""Put before the page's Content-Security-Policy (which forbids scripts after it): on load it
writes the errors, the policy violations, every image's natural size and the number of ``<mark>``
elements into the DOM."""


def browse(html: str, folder: Path) -> dict:
    """What the probe saw when headless Chromium loaded ``html`` from a file."""
    marker = '<meta http-equiv="Content-Security-Policy"'
    assert marker in html
    page = folder / "page.html"
    page.write_text(html.replace(marker, PROBE + marker, 1), encoding="utf-8")
    done = subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                           "--disable-background-networking", "--disable-component-update", "--disable-sync",
                           f"--user-data-dir={folder / 'profile'}", "--dump-dom", page.as_uri()],
                          capture_output=True, text=True, timeout=120)
    found = re.search(r'<pre id="probe">(.*?)</pre>', done.stdout, re.DOTALL)
    assert found, f"the page did not finish loading: {done.stderr[-2000:]}"
    return json.loads(html_text.unescape(found.group(1)))
