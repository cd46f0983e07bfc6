"""Runs 1EdTech's Open Badges 2.0 validator (`openbadges` on PyPI, openbadges-validator-core)
on a hosted assertion URL or a baked image, offline, and prints its report as JSON.

The validator was written for Python 2.7 and 3.5 and fetches everything over the network, so
this wrapper adapts it at runtime, without touching the installed packages:

- `collections.Mapping` and the other abstract base classes left `collections` in Python 3.10;
  python-jose 3.0.1 (pinned by the validator) and `future` still import them from there. They
  are put back as aliases of `collections.abc` before the validator is imported.
- Every HTTP request of the validator (its JSON-LD document loader, its fetches of nodes and
  images, pyld's own default loader) goes through `requests.adapters.HTTPAdapter.send`, which
  is replaced: a JSON-LD context named with `--context URL=FILE` is answered from that file
  (the committed interop material, e.g. `https://w3id.org/openbadges/v2`); an `http` URL on the
  loopback interface (127.0.0.1, ::1, localhost: the server under test) goes through; anything
  else is refused, so that nothing is fetched from the network. Each request is listed in the
  report (`fetched`, with the status it got, or `refused`).
- The validator's response cache (requests-cache 0.4) is turned off by its own options: every
  fetch then reaches the adapter above, and no stale answer hides a change of the server.

Usage:
    validate_ob2.py --context URL=FILE [--context ...] [--recipient-email ADDRESS]
                    (--url URL | --file PATH)

The report: `valid`, `errorCount`, `warningCount`, `errors` and `warnings` (the messages'
texts), `messages` (as the validator gives them), `validationSubject`, `openBadgesVersion`,
`recipientProfile` (the identity the validator confirmed, when `--recipient-email` is given),
`revoked` (whether the assertion the validator read declares `revoked: true`: the validator
itself does not act on a hosted assertion's revocation, see 1EdTech/openbadges-validator-core
issues #212 and #236), `fetched`, `refused` and `graph`. It always exits 0 once it could run
the validator; a crash of the wrapper itself exits 1 with the trace on stderr.
"""

import argparse
import collections
import collections.abc
import json
import os
import sys
import urllib.parse

# Before anything imports python-jose or future: the aliases Python 3.10 removed.
for _name in ("Callable", "Iterable", "Iterator", "Mapping", "MutableMapping", "MutableSet",
              "Sequence", "Set"):
    if not hasattr(collections, _name):
        setattr(collections, _name, getattr(collections.abc, _name))

import requests  # noqa: E402
import requests.adapters  # noqa: E402

LOOPBACK_HOSTS = {"127.0.0.1", "::1", "localhost"}

# What the validator asked for, in order: {"url", "status", "source"}; and what was refused.
FETCHED = []
REFUSED = []


def install_offline_transport(contexts):
    """Replaces the transport of every `requests` session: bundled contexts from their files,
    loopback URLs through, the rest refused."""
    real_send = requests.adapters.HTTPAdapter.send

    def send(adapter, request, **kwargs):
        url = request.url
        local = contexts.get(url) or contexts.get(url.rstrip("/"))
        if local is not None:
            with open(local, "rb") as file:
                body = file.read()
            response = requests.Response()
            response.status_code = 200
            response.reason = "OK"
            response.url = url
            response.request = request
            response.encoding = "utf-8"
            response.headers["Content-Type"] = "application/ld+json"
            response._content = body
            response._content_consumed = True
            FETCHED.append({"url": url, "status": 200, "source": local})
            return response
        parts = urllib.parse.urlsplit(url)
        if parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS:
            response = real_send(adapter, request, **kwargs)
            FETCHED.append({"url": url, "status": response.status_code, "source": "loopback"})
            return response
        REFUSED.append(url)
        raise requests.exceptions.ConnectionError(
            "offline: {} is neither on the loopback interface nor a bundled context".format(url))

    requests.adapters.HTTPAdapter.send = send


def parse_arguments(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--context", action="append", default=[], metavar="URL=FILE",
                        help="answer URL with the JSON-LD context in FILE")
    parser.add_argument("--recipient-email",
                        help="the e-mail address the assertion is expected to be awarded to")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--url", help="a hosted assertion's URL")
    source.add_argument("--file", help="a baked badge image (PNG or SVG)")
    arguments = parser.parse_args(argv)
    contexts = {}
    for pair in arguments.context:
        url, separator, path = pair.partition("=")
        if not separator or not os.path.isfile(path):
            parser.error("--context {}: expected URL=FILE with an existing file".format(pair))
        contexts[url] = os.path.abspath(path)
    arguments.contexts = contexts
    return arguments


def subject_node(graph, subject):
    for node in graph:
        if node.get("id") == subject:
            return node
    return None


def main(argv):
    arguments = parse_arguments(argv)
    # The server under test is on the loopback interface: no proxy may stand in between.
    os.environ["NO_PROXY"] = os.environ["no_proxy"] = ",".join(sorted(LOOPBACK_HOSTS))
    install_offline_transport(arguments.contexts)

    from pyld import jsonld
    from openbadges.verifier import verify
    from openbadges.verifier.utils import CachableDocumentLoader

    # pyld's default loader (urllib, used where the validator passes no options) goes through
    # the same offline transport.
    jsonld.set_document_loader(CachableDocumentLoader(use_cache=False))

    recipient = None
    if arguments.recipient_email:
        recipient = {"email": arguments.recipient_email}
    options = {"use_cache": False, "cache_backend": None}
    if arguments.file:
        with open(arguments.file, "rb") as badge:
            result = verify(badge, recipient_profile=recipient, **options)
    else:
        result = verify(arguments.url, recipient_profile=recipient, **options)

    report = result["report"]
    messages = report.get("messages", [])
    graph = result.get("graph", [])
    subject = subject_node(graph, report.get("validationSubject"))
    print(json.dumps({
        "valid": report.get("valid"),
        "errorCount": report.get("errorCount"),
        "warningCount": report.get("warningCount"),
        "errors": [m.get("result") for m in messages if m.get("messageLevel") == "ERROR"],
        "warnings": [m.get("result") for m in messages if m.get("messageLevel") == "WARNING"],
        "messages": messages,
        "validationSubject": report.get("validationSubject"),
        "openBadgesVersion": report.get("openBadgesVersion"),
        "recipientProfile": report.get("recipientProfile"),
        "revoked": bool(subject and subject.get("revoked") is True),
        "fetched": FETCHED,
        "refused": REFUSED,
        "graph": graph,
    }, indent=2, sort_keys=True, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
