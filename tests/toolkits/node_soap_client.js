// Imports every tsgate WSDL with node-soap (the npm `soap` package) from the running gateway,
// then calls InvioOTP as region 120 over mutual TLS with a fresh made-up OTP.
//
//   npm install soap@1 && node tests/toolkits/node_soap_client.js DEMO_DIR BASE_URL
//
// Exits non-zero if a WSDL does not import or the call does not return codEsito 0000.
const fs = require('fs');
const https = require('https');
const soap = require('soap');

const [demo, base] = process.argv.slice(2);
const agent = new https.Agent({
  ca: fs.readFileSync(`${demo}/certs/ca.pem`),
  cert: fs.readFileSync(`${demo}/certs/region-120.pem`),
  key: fs.readFileSync(`${demo}/certs/region-120-key.pem`),
});
const options = { wsdl_options: { httpsAgent: agent } };

// A valid OTP: nine random characters of the alphabet and their check character.
function otp() {
  const alphabet = 'AEFHIJKLQRSUWXYZ123456789';
  const odd = { A: 1, E: 9, F: 13, H: 17, I: 19, J: 21, K: 2, L: 4, Q: 6, R: 8, S: 12, U: 16, W: 22,
    X: 25, Y: 24, Z: 23, 1: 0, 2: 5, 3: 7, 4: 9, 5: 13, 6: 15, 7: 17, 8: 19, 9: 21 };
  let body = '';
  let sum = 0;
  for (let i = 0; i < 9; i++) {
    const c = alphabet[Math.floor(Math.random() * alphabet.length)];
    body += c;
    sum += i % 2 === 0 ? odd[c] : (/[0-9]/.test(c) ? Number(c) : c.charCodeAt(0) - 65);
  }
  return body + alphabet[sum % 25];
}

(async () => {
  for (const service of ['Servizi', 'InvioOTP', 'Sierologici', 'ASL']) {
    const client = await soap.createClientAsync(`${base}/ws/${service}?wsdl`, options);
    for (const [svc, ports] of Object.entries(client.describe())) {
      for (const [port, ops] of Object.entries(ports)) {
        console.log(`imported ${svc}/${port}: ${Object.keys(ops).join(', ')}`);
      }
    }
  }
  const client = await soap.createClientAsync(`${base}/ws/InvioOTP?wsdl`, options);
  client.setSecurity(new soap.ClientSSLSecurity(`${demo}/certs/region-120-key.pem`,
    `${demo}/certs/region-120.pem`, `${demo}/certs/ca.pem`));
  const rome = new Date().toLocaleDateString('sv-SE', { timeZone: 'Europe/Rome' });
  const utc = new Date().toISOString().slice(0, 10);
  const [reply] = await client.InvioOTPAsync({
    codiceOTP: otp(),
    dataInizioSintomi: rome < utc ? rome : utc,
    cfOperatore: 'RSSMRA80A01H501U',
    tipoAutenticazione: 'SPID',
  });
  console.log(reply);
  if (reply.codEsito !== '0000') throw new Error(`unexpected codEsito ${reply.codEsito}`);
})().catch((e) => { console.error('FAILED', e.message); process.exit(1); });
