//! Keep-alive, HTTP/2, and graceful shutdown: stop accepting, finish in-flight requests, exit.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::{catalogue_request_h2, envelope, spawn_app, As, TestResult};

#[tokio::test]
async fn keep_alive_serves_several_requests_on_one_connection() -> TestResult {
    let app = spawn_app().await;
    let body = envelope("servizi/ElencoServizi.xml");
    let mut tls = app.connect(As::Region).await?;
    for _ in 0..3 {
        let request = format!(
            "POST /ws/Servizi HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/xml\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        tls.write_all(request.as_bytes()).await?;
        let mut seen = Vec::new();
        let mut buf = [0u8; 4096];
        while !String::from_utf8_lossy(&seen).contains("</soap:Envelope>") {
            let n = tokio::time::timeout(Duration::from_secs(10), tls.read(&mut buf)).await??;
            assert!(n > 0, "connection kept open");
            seen.extend_from_slice(&buf[..n]);
        }
        assert!(String::from_utf8_lossy(&seen).starts_with("HTTP/1.1 200"));
    }
    Ok(())
}

#[tokio::test]
async fn http2_is_served() -> TestResult {
    let app = spawn_app().await;
    let (mut sender, _connection) = app.connect_h2(As::Region).await?;
    let request = catalogue_request_h2()?;
    let response = sender.send_request(request).await?;
    assert_eq!(response.status(), 200);
    Ok(())
}

#[tokio::test]
async fn shutdown_finishes_in_flight_requests_and_refuses_new_connections() -> TestResult {
    let mut app = spawn_app().await;
    let body = envelope("servizi/ElencoServizi.xml");
    // A request whose body is only half sent when shutdown starts.
    let mut tls = app.connect(As::Region).await?;
    let head = format!(
        "POST /ws/Servizi HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/xml\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    tls.write_all(head.as_bytes()).await?;
    tls.write_all(&body.as_bytes()[..body.len() / 2]).await?;
    tls.flush().await?;
    tokio::time::sleep(Duration::from_millis(100)).await;

    let address = app.address;
    let stopping = tokio::spawn(async move {
        app.stop().await;
        app
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        tokio::net::TcpStream::connect(address).await.is_err(),
        "no longer accepting"
    );

    tls.write_all(&body.as_bytes()[body.len() / 2..]).await?;
    let mut raw = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), tls.read_to_end(&mut raw)).await??;
    let text = String::from_utf8_lossy(&raw);
    assert!(
        text.starts_with("HTTP/1.1 200"),
        "the in-flight request completed: {text}"
    );

    let app = tokio::time::timeout(Duration::from_secs(10), stopping).await??;
    assert!(app.server.is_none(), "server task ended");
    Ok(())
}

#[tokio::test]
async fn the_binary_exits_cleanly_on_sigterm() -> TestResult {
    let dir = tempfile::tempdir()?;
    // What the demo says on stderr, to tell why it did not start (a port taken, a slow machine).
    let log_dir = tempfile::tempdir()?;
    let stderr_path = log_dir.path().join("stderr.log");
    let stderr = || std::fs::read_to_string(&stderr_path).unwrap_or_default();
    // A port free when probed can be taken by another test before the demo binds it: then the
    // demo says so and exits, and it is started again on another.
    let mut attempts = 0;
    let (mut child, port, banner, _stdout) = loop {
        attempts += 1;
        let port = {
            let probe = std::net::TcpListener::bind("127.0.0.1:0")?;
            probe.local_addr()?.port()
        };
        let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_tsgate"))
            .args(["demo", "--dir"])
            .arg(dir.path())
            .args(["--listen", &format!("127.0.0.1:{port}")])
            .stdout(std::process::Stdio::piped())
            .stderr(std::fs::File::create(&stderr_path)?)
            .kill_on_drop(true)
            .spawn()?;
        let mut stdout = child.stdout.take().ok_or("stdout")?;
        let mut banner = Vec::new();
        let mut buf = [0u8; 1024];
        let mut ended = false;
        while !String::from_utf8_lossy(&banner).contains("Stop with Ctrl-C") {
            // Generous: the demo makes its CA, keys and registry first, on a machine that may
            // be busy.
            let n = tokio::time::timeout(Duration::from_secs(180), stdout.read(&mut buf))
                .await
                .map_err(|_| format!("no banner within 180 s; stderr: {}", stderr()))??;
            if n == 0 {
                ended = true;
                break;
            }
            banner.extend_from_slice(&buf[..n]);
        }
        if !ended {
            // The demo's standard output stays open: it may print more.
            break (child, port, banner, stdout);
        }
        assert!(
            attempts < 5 && stderr().contains("Address already in use"),
            "demo printed its banner: {}; stderr: {}",
            String::from_utf8_lossy(&banner),
            stderr()
        );
        child.wait().await?;
    };
    let banner = String::from_utf8_lossy(&banner);
    assert!(
        banner.contains(&format!("https://localhost:{port}/ws/Servizi?wsdl")),
        "{banner}"
    );
    assert!(banner.contains("curl --cacert"), "{banner}");
    // The admin URL it prints serves the metrics.
    let admin = banner
        .split("metrics: http://")
        .nth(1)
        .and_then(|rest| rest.split("/metrics").next())
        .ok_or("the banner prints the admin URL")?;
    let mut tcp = tokio::net::TcpStream::connect(admin).await?;
    tcp.write_all(b"GET /metrics HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .await?;
    let mut scrape = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), tcp.read_to_end(&mut scrape)).await??;
    let scrape = String::from_utf8_lossy(&scrape);
    assert!(scrape.starts_with("HTTP/1.1 200"), "{scrape}");
    assert!(scrape.contains("tsgate_connections_open"), "{scrape}");
    let pid = child.id().ok_or("pid")?;
    let status = std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()?;
    assert!(status.success());
    let exit = tokio::time::timeout(Duration::from_secs(60), child.wait())
        .await
        .map_err(|_| format!("no exit within 60 s of SIGTERM; stderr: {}", stderr()))??;
    assert!(
        exit.success(),
        "clean exit on SIGTERM: {exit:?}; stderr: {}",
        stderr()
    );
    Ok(())
}
