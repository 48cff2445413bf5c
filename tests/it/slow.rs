//! Slow clients: a body trickled one byte at a time is cut off at the request time limit, one
//! address cannot hold more than its share of requests, and an ordinary client is still served.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use crate::common::TestApp;

/// Sends the head of a login request that declares a 2,000-byte body, and one byte of it.
fn slow_login(app: &TestApp) -> TcpStream {
    let address = app.base.trim_start_matches("http://");
    let mut s = TcpStream::connect(address).unwrap();
    s.write_all(
        format!(
            "POST /api/v1/auth/login HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\nContent-Length: 2000\r\n\r\n{{"
        )
        .as_bytes(),
    )
    .unwrap();
    s
}

/// What the server answers on a connection within `wait` (empty if it closed without a word).
fn answer(s: &mut TcpStream, wait: Duration) -> String {
    s.set_read_timeout(Some(wait)).unwrap();
    let mut buf = vec![0u8; 4096];
    match s.read(&mut buf) {
        Ok(n) => String::from_utf8_lossy(&buf[..n]).into_owned(),
        Err(e) => panic!("no answer within {wait:?}: {e}"),
    }
}

#[test]
fn a_trickled_body_is_cut_off_and_ordinary_clients_are_served() {
    let app = TestApp::spawn_with(|s| {
        s.request_timeout = 2;
        s.max_requests_per_address = 4;
    });
    let started = Instant::now();
    let mut slow: Vec<TcpStream> = (0..3).map(|_| slow_login(&app)).collect();
    // A byte now and then keeps each of them "alive" as far as the client is concerned.
    for _ in 0..3 {
        std::thread::sleep(Duration::from_millis(300));
        for s in &mut slow {
            let _ = s.write_all(b" ");
        }
        // Meanwhile an ordinary client is served.
        assert_eq!(app.anon().get("/healthz").status, 200);
    }
    for s in &mut slow {
        let reply = answer(s, Duration::from_secs(5));
        assert!(reply.starts_with("HTTP/1.1 408"), "{reply}");
    }
    assert!(
        started.elapsed() < Duration::from_secs(6),
        "cut off at the limit"
    );
    assert_eq!(app.anon().get("/healthz").status, 200);
}

#[test]
fn one_address_cannot_hold_more_than_its_share_of_requests() {
    let app = TestApp::spawn_with(|s| {
        s.request_timeout = 30;
        s.max_requests_per_address = 4;
    });
    let held: Vec<TcpStream> = (0..4).map(|_| slow_login(&app)).collect();
    std::thread::sleep(Duration::from_millis(300));
    let mut fifth = slow_login(&app);
    let reply = answer(&mut fifth, Duration::from_secs(5));
    assert!(reply.starts_with("HTTP/1.1 429"), "{reply}");
    drop(held);
    // The places come back when those requests end.
    let deadline = Instant::now() + Duration::from_secs(5);
    while app.anon().get("/healthz").status != 200 {
        assert!(Instant::now() < deadline, "the address got its places back");
        std::thread::sleep(Duration::from_millis(100));
    }
}
