"""Imports every tsgate WSDL with Python zeep (a standard SOAP toolkit) and calls
Servizi.ElencoServizi as region 120 over mutual TLS.

    python3 tests/toolkits/zeep_client.py DEMO_DIR BASE_URL

Exits non-zero if a WSDL does not import or the call does not return codEsito 0000.
"""
import sys

import requests
from zeep import Client, Settings
from zeep.transports import Transport

demo, base = sys.argv[1], sys.argv[2].rstrip("/")
session = requests.Session()
session.trust_env = False  # REQUESTS_CA_BUNDLE would override our CA
session.verify = f"{demo}/certs/ca.pem"
session.cert = (f"{demo}/certs/region-120.pem", f"{demo}/certs/region-120-key.pem")
transport = Transport(session=session)

client = Client(f"{base}/ws/Servizi?wsdl", transport=transport, settings=Settings(strict=True))
for service in client.wsdl.services.values():
    for port in service.ports.values():
        print("imported", service.name, port.name, [op for op in port.binding._operations])
reply = client.service.ElencoServizi()
print(reply)
if reply["codEsito"] != "0000":
    sys.exit(f"unexpected codEsito {reply['codEsito']}")
names = [s["nome"] for s in reply["ElencoServizi"]["Servizio"]]
if "Servizi" not in names:
    sys.exit(f"catalogue lacks Servizi: {names}")
print("zeep: OK")
