//! SIGTERM with a request in flight: it gets its normal answer, new clients are turned away,
//! and the process exits 0.
//!
//! The slow request is a registration whose body arrives in two halves, the second after
//! SIGTERM: it is certainly in flight (its headers were read) and certainly not finished.

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::support::{create_pool, Client, Server};

/// From SIGTERM to exit, once the last request has been answered.
const EXIT_BOUND: Duration = Duration::from_secs(5);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_finishes_the_request_in_flight_refuses_new_ones_and_exits_0() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let store = ["--data-dir", data.to_str().unwrap()];
    let mut server = Server::start(&store, tmp.path()).await;
    let client = Client::new(&server.url, create_pool(&store), Duration::from_secs(20));

    let body = client
        .register_body("in-flight@example.com")
        .to_string()
        .into_bytes();
    let (first, second) = body.split_at(body.len() / 2);
    let mut slow = TcpStream::connect(&server.addr).await.unwrap();
    let head = format!(
        "POST /graphql/v2 HTTP/1.1\r\nHost: {}\r\nx-authing-app-id: {}\r\n\
         content-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        server.addr,
        client.creds.app_id,
        body.len()
    );
    slow.write_all(head.as_bytes()).await.unwrap();
    slow.write_all(first).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;

    server.sigterm();
    let signalled = Instant::now();
    // New connections are refused once the server has stopped listening.
    let refused = loop {
        match TcpStream::connect(&server.addr).await {
            // Refused once the listener is closed; a connection that reached the backlog
            // just before it closed is reset by the kernel instead. Both are "not accepted".
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::ConnectionRefused | std::io::ErrorKind::ConnectionReset
                ) =>
            {
                break signalled.elapsed()
            }
            Err(e) => panic!("unexpected connect error: {e}"),
            Ok(_) => {
                assert!(
                    signalled.elapsed() < Duration::from_secs(2),
                    "still accepting 2 s after SIGTERM"
                );
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    server.assert_running();

    slow.write_all(second).await.unwrap();
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), slow.read_to_end(&mut answer))
        .await
        .expect("the request in flight is answered")
        .unwrap();
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(
        answer.contains(r#""email":"in-flight@example.com""#) && !answer.contains("errors"),
        "the normal registration answer: {answer}"
    );

    let status = server.exit_within(EXIT_BOUND.saturating_sub(signalled.elapsed()));
    assert!(status.success(), "{status}");
    eprintln!(
        "graceful shutdown: listener closed {refused:?} after SIGTERM; exit {:?} after it",
        signalled.elapsed()
    );
}
