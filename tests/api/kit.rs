//! The integrator's kit as one download: `GET /kit.zip` and `tsgate kit --out` give the same
//! zip, holding every WSDL (with this gateway's address) and XSD, every file of the conformance
//! kit and the two READMEs; its WSDLs load from disk in zeep.

use std::collections::BTreeMap;
use std::path::Path;

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use crate::helpers::{spawn_app, As, TestApp, TestResult};

/// The zip `GET /kit.zip` answers, with its status and Content-Type.
async fn download(app: &TestApp) -> std::io::Result<(String, Vec<u8>)> {
    let mut tls = app.connect(As::Anonymous).await?;
    tls.write_all(b"GET /kit.zip HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .await?;
    let mut raw = Vec::new();
    tls.read_to_end(&mut raw).await?;
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| std::io::Error::other("no end of headers"))?;
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    Ok((head, raw[split + 4..].to_vec()))
}

/// The entries of a zip of stored entries, read through its central directory as unzip does.
fn entries(zip: &[u8]) -> BTreeMap<String, Vec<u8>> {
    let u16_at = |at: usize| u16::from_le_bytes([zip[at], zip[at + 1]]) as usize;
    let u32_at = |at: usize| u32::from_le_bytes(zip[at..at + 4].try_into().unwrap()) as usize;
    let end = zip.len() - 22;
    assert_eq!(u32_at(end), 0x0605_4b50, "end of central directory");
    let mut record = u32_at(end + 16);
    let mut files = BTreeMap::new();
    for _ in 0..u16_at(end + 10) {
        assert_eq!(u32_at(record), 0x0201_4b50, "central directory record");
        assert_eq!(u16_at(record + 10), 0, "stored");
        let (size, name_len) = (u32_at(record + 20), u16_at(record + 28));
        let name = String::from_utf8(zip[record + 46..record + 46 + name_len].to_vec()).unwrap();
        let local = u32_at(record + 42);
        let data = local + 30 + u16_at(local + 26);
        files.insert(name, zip[data..data + size].to_vec());
        record += 46 + name_len;
    }
    files
}

fn files_under(dir: &Path, base: &Path, out: &mut Vec<String>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files_under(&path, base, out);
        } else {
            out.push(
                path.strip_prefix(base)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned(),
            );
        }
    }
}

#[tokio::test]
async fn the_kit_holds_the_wsdls_of_this_gateway_the_schemas_and_the_whole_conformance_kit(
) -> TestResult {
    let app = spawn_app().await;
    let (head, zip) = download(&app).await?;
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(
        head.to_ascii_lowercase()
            .contains("content-type: application/zip"),
        "{head}"
    );
    assert!(head.contains("tsgate-kit.zip"), "{head}");
    let files = entries(&zip);

    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut samples = Vec::new();
    files_under(
        &root.join("tests/envelopes"),
        &root.join("tests/envelopes"),
        &mut samples,
    );
    assert!(samples.len() > 100);
    for sample in &samples {
        let shipped = std::fs::read(root.join("tests/envelopes").join(sample))?;
        assert_eq!(
            files.get(&format!("tsgate-kit/envelopes/{sample}")),
            Some(&shipped),
            "{sample}"
        );
    }
    for readme in ["README.md", "LEGGIMI.md"] {
        let shipped = std::fs::read(root.join("docs/kit").join(readme))?;
        assert_eq!(files.get(&format!("tsgate-kit/{readme}")), Some(&shipped));
    }
    let public_url = &app.config().server.public_url;
    for service in ["Servizi", "InvioOTP", "Sierologici", "ASL"] {
        let wsdl = files
            .get(&format!("tsgate-kit/wsdl/{service}.wsdl"))
            .map(|w| String::from_utf8_lossy(w).into_owned())
            .unwrap_or_else(|| panic!("{service}.wsdl in the kit"));
        assert!(
            wsdl.contains(&format!("location=\"{public_url}/ws/{service}\"")),
            "{service}: this gateway's address"
        );
    }
    // Every import resolves to a file of the zip, relative to the importing file.
    let mut imports = 0;
    for (name, contents) in &files {
        if !(name.ends_with(".wsdl") || name.ends_with(".xsd")) {
            continue;
        }
        let folder = Path::new(name).parent().unwrap();
        for location in String::from_utf8_lossy(contents)
            .split("schemaLocation=\"")
            .skip(1)
        {
            let location = &location[..location.find('"').unwrap()];
            assert!(
                !location.contains(':'),
                "{name}: {location} is not relative"
            );
            let target = folder.join(location);
            let mut resolved = Vec::new();
            for part in target.components() {
                match part {
                    std::path::Component::ParentDir => {
                        resolved.pop();
                    }
                    other => resolved.push(other.as_os_str().to_string_lossy().into_owned()),
                }
            }
            assert!(
                files.contains_key(&resolved.join("/")),
                "{name}: {location} is not in the kit"
            );
            imports += 1;
        }
    }
    assert!(imports >= 8 + 4, "{imports} imports");
    for (file, _) in tsgate::soap::SCHEMA_FILES {
        assert!(
            files.contains_key(&format!("tsgate-kit/xsd/{file}")),
            "{file}"
        );
    }

    // The command line writes the same bytes for the same gateway.
    let out = app.dir.path().join("kit.zip");
    let written = tokio::process::Command::new(env!("CARGO_BIN_EXE_tsgate"))
        .args(["kit", "--out"])
        .arg(&out)
        .arg("--config")
        .arg(app.dir.path().join("tsgate.toml"))
        .output()
        .await?;
    assert!(written.status.success(), "{written:?}");
    assert_eq!(
        std::fs::read(&out)?,
        zip,
        "tsgate kit writes what GET /kit.zip serves"
    );
    Ok(())
}

/// Each WSDL of the unpacked kit loads from disk in Python zeep, a standard SOAP toolkit,
/// with every HTTP request refused: no network, no gateway needed.
#[tokio::test]
#[ignore = "needs python3-zeep"]
async fn every_wsdl_of_the_unpacked_kit_loads_from_disk_in_zeep() -> TestResult {
    let dir = tempfile::tempdir()?;
    let zip = dir.path().join("tsgate-kit.zip");
    let written = tokio::process::Command::new(env!("CARGO_BIN_EXE_tsgate"))
        .args(["kit", "--out"])
        .arg(&zip)
        .output()
        .await?;
    assert!(written.status.success(), "{written:?}");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/toolkits/zeep_kit.py");
    // Debian's interpreter, the one its python3-zeep package installs for (a python3 earlier on
    // PATH, a pyenv or a venv, may not see it).
    let loaded = tokio::process::Command::new("/usr/bin/python3")
        .arg(&script)
        .arg(&zip)
        .arg(dir.path().join("unpacked"))
        .output()
        .await?;
    let stdout = String::from_utf8_lossy(&loaded.stdout);
    assert!(
        loaded.status.success(),
        "zeep: {stdout}\n{}",
        String::from_utf8_lossy(&loaded.stderr)
    );
    for (service, operations) in [
        ("Servizi", vec!["ElencoServizi"]),
        ("InvioOTP", vec!["InvioOTP"]),
        (
            "Sierologici",
            vec!["ElencoAssistiti", "InvioTest", "AnnullaTest", "ElencoTest"],
        ),
        ("ASL", vec!["InvioNumeroTest"]),
    ] {
        let line = stdout
            .lines()
            .find(|l| l.starts_with(&format!("{service}.wsdl:")))
            .unwrap_or_else(|| panic!("{service}.wsdl not loaded: {stdout}"));
        for operation in operations {
            assert!(line.contains(operation), "{service}: {operation} in {line}");
        }
    }
    Ok(())
}
