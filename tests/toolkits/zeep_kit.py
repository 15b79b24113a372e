"""Unpacks the integrator's kit and loads each of its WSDLs from disk with Python zeep, every
HTTP request refused, so each import must resolve to a file of the kit.

    python3 tests/toolkits/zeep_kit.py KIT_ZIP DIR

Prints one line per WSDL, `<file>: <operations of its bindings>`; exits non-zero if one does not
load. Run by `cargo test` (tests/api/kit.rs, ignored unless python3-zeep is installed).
"""
import pathlib
import sys
import zipfile

import requests
from zeep import Client, Settings
from zeep.transports import Transport


class NoNetwork(requests.adapters.BaseAdapter):
    def send(self, request, **kwargs):
        raise requests.exceptions.ConnectionError(f"network refused: {request.url}")

    def close(self):
        pass


kit, target = sys.argv[1], pathlib.Path(sys.argv[2])
with zipfile.ZipFile(kit) as archive:
    archive.extractall(target)

session = requests.Session()
session.trust_env = False
session.mount("http://", NoNetwork())
session.mount("https://", NoNetwork())
transport = Transport(session=session)

wsdls = sorted((target / "tsgate-kit" / "wsdl").glob("*.wsdl"))
if len(wsdls) != 4:
    sys.exit(f"expected 4 WSDLs, found {[w.name for w in wsdls]}")
for wsdl in wsdls:
    client = Client(str(wsdl), transport=transport, settings=Settings(strict=True))
    operations = set()
    for service in client.wsdl.services.values():
        for port in service.ports.values():
            operations.update(port.binding._operations)
    if not operations:
        sys.exit(f"{wsdl.name}: no operations")
    print(f"{wsdl.name}: {' '.join(sorted(operations))}")
