//! HL7 v2 over MLLP with a real client on a real socket: framing (several messages per connection,
//! garbage, oversize, partial frames, idle), who may send (MSH-4 and the TLS client certificate),
//! batches (over MLLP and HTTP), and a server killed between frames: every `AA` stays stored once.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use rpl_workup::config::ServeArgs;
use rpl_workup::startup::Application;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::rustls;

use crate::helpers::*;
use crate::lab_support::*;

const FACILITY: &str = "CITYLAB";

/// A clients file naming CITYLAB (clinic A), pinned to `cert` when given.
fn clients_file(dir: &tempfile::TempDir, cert: Option<&str>) -> std::path::PathBuf {
    let path = dir.path().join("mllp-clients.json");
    let pin = cert.map_or("null".to_owned(), |c| format!("\"{c}\""));
    std::fs::write(
        &path,
        format!(
            r#"[{{"sending_facility": "{FACILITY}", "org": "{CLINIC_A}", "source": "citylab", "cert_sha256": {pin}}}]"#
        ),
    )
    .unwrap();
    path
}

fn with_mllp(args: &mut ServeArgs, clients: std::path::PathBuf) {
    args.mllp.mllp_listen = Some("127.0.0.1:0".to_owned());
    args.mllp.mllp_clients_file = Some(clients);
}

async fn mllp_app(dir: &tempfile::TempDir, tweak: impl FnOnce(&mut ServeArgs)) -> TestApp {
    let clients = clients_file(dir, None);
    spawn_app_with(|args| {
        with_mllp(args, clients);
        tweak(args);
    })
    .await
}

/// Writes one frame.
async fn send_frame<S: AsyncWrite + Unpin>(stream: &mut S, message: &[u8]) {
    let mut frame = vec![0x0b];
    frame.extend_from_slice(message);
    frame.extend_from_slice(&[0x1c, 0x0d]);
    stream.write_all(&frame).await.expect("frame written");
}

/// Reads one frame (the ACK), or `None` when the server closed the connection.
async fn read_frame<S: AsyncRead + Unpin>(stream: &mut S) -> Option<String> {
    let mut buf = Vec::new();
    let mut byte = [0u8; 1];
    let read = async {
        loop {
            match stream.read(&mut byte).await {
                Ok(0) | Err(_) => return None,
                Ok(_) => buf.push(byte[0]),
            }
            if buf.ends_with(&[0x1c, 0x0d]) {
                let start = buf.iter().position(|&b| b == 0x0b).expect("start block");
                return Some(String::from_utf8_lossy(&buf[start + 1..buf.len() - 2]).into_owned());
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(30), read)
        .await
        .expect("an answer within 30 s")
}

async fn exchange<S: AsyncRead + AsyncWrite + Unpin>(stream: &mut S, message: &[u8]) -> String {
    send_frame(stream, message).await;
    read_frame(stream).await.expect("an ACK")
}

async fn connect(addr: SocketAddr) -> TcpStream {
    TcpStream::connect(addr).await.expect("MLLP connect")
}

fn acks(reply: &str) -> Vec<(String, String)> {
    segments(reply)
        .into_iter()
        .filter(|s| s[0] == "MSA")
        .map(|s| (s[1].clone(), s.get(2).cloned().unwrap_or_default()))
        .collect()
}

fn batch(messages: &[Vec<u8>]) -> Vec<u8> {
    let mut out = b"FHS|^~\\&|LABSYS|CITYLAB|RPLWORKUP|CLINIC-A|20250305093000||||F-1\rBHS|^~\\&|LABSYS|CITYLAB|RPLWORKUP|CLINIC-A|20250305093000||||B-1\r".to_vec();
    for m in messages {
        out.extend_from_slice(m);
        out.push(b'\r');
    }
    out.extend_from_slice(format!("BTS|{}\rFTS|1\r", messages.len()).as_bytes());
    out
}

#[actix_web::test]
async fn several_messages_on_one_connection_are_each_acknowledged_and_a_resend_is_a_duplicate() {
    let dir = tempfile::tempdir().unwrap();
    let app = mllp_app(&dir, |_| {}).await;
    let patient = patient_0042(&app).await;
    let mut stream = connect(app.mllp_addr.expect("MLLP on")).await;
    let first = exchange(&mut stream, &fixture("hl7v2/oru-tsh-tpo.hl7")).await;
    assert_eq!(msa(&first), ("AA".to_owned(), "MSG00001".to_owned()));
    let second = exchange(&mut stream, &fixture("hl7v2/oru-acl-preliminary.hl7")).await;
    assert_eq!(msa(&second), ("AA".to_owned(), "MSG00003".to_owned()));
    let unknown = exchange(&mut stream, &fixture("hl7v2/oru-unknown-mrn.hl7")).await;
    assert_eq!(msa(&unknown).0, "AE");
    let again = exchange(&mut stream, &fixture("hl7v2/oru-tsh-tpo.hl7")).await;
    assert_eq!(again, first, "a resend gets the stored ACK, byte for byte");
    assert_eq!(results_of(&app, &patient).await.len(), 3);
    let log = messages(&app);
    assert_eq!(
        log.len(),
        3,
        "one log entry per message, none for the resend"
    );
    assert!(log.iter().all(|m| m.received_by == "citylab"));
}

#[actix_web::test]
async fn a_batch_over_mllp_gets_one_ack_per_message_and_each_message_stands_alone() {
    let dir = tempfile::tempdir().unwrap();
    let app = mllp_app(&dir, |_| {}).await;
    let patient = patient_0042(&app).await;
    let mut stream = connect(app.mllp_addr.unwrap()).await;
    let file = batch(&[
        fixture("hl7v2/oru-tsh-tpo.hl7"),
        fixture("hl7v2/oru-unknown-mrn.hl7"),
        fixture("hl7v2/oru-acl-preliminary.hl7"),
    ]);
    let reply = exchange(&mut stream, &file).await;
    let names: Vec<String> = segments(&reply).into_iter().map(|s| s[0].clone()).collect();
    assert_eq!(names.first().map(String::as_str), Some("FHS"));
    assert_eq!(&names[names.len() - 2..], ["BTS", "FTS"]);
    assert_eq!(
        acks(&reply),
        [("AA", "MSG00001"), ("AE", "MSG00006"), ("AA", "MSG00003")]
            .map(|(a, b)| (a.to_owned(), b.to_owned()))
    );
    assert_eq!(results_of(&app, &patient).await.len(), 3);
    let again = exchange(&mut stream, &file).await;
    assert_eq!(
        acks(&again),
        acks(&reply),
        "a resent batch is recognised message by message"
    );
    assert_eq!(results_of(&app, &patient).await.len(), 3);
}

#[actix_web::test]
async fn a_batch_over_http_gets_a_batch_of_acks_and_an_idempotency_key_on_it_is_refused() {
    let app = spawn_app().await;
    let patient = patient_0042(&app).await;
    let file = batch(&[
        fixture("hl7v2/oru-tsh-tpo.hl7"),
        fixture("hl7v2/oru-acl-preliminary.hl7"),
    ]);
    let res = post_hl7(&app, file.clone(), &[]).await;
    assert_eq!(res.status, 200);
    assert_eq!(
        acks(&res.text()),
        [("AA", "MSG00001"), ("AA", "MSG00003")].map(|(a, b)| (a.to_owned(), b.to_owned()))
    );
    assert_eq!(results_of(&app, &patient).await.len(), 3);
    let keyed = post_hl7(&app, file, &[("Idempotency-Key", "batch-1")]).await;
    assert_eq!(keyed.status, 400);
    assert_eq!(msa(&keyed.text()).0, "AR");
}

#[actix_web::test]
async fn garbage_an_unreadable_frame_and_an_oversize_frame_are_answered_and_the_connection_goes_on()
{
    let dir = tempfile::tempdir().unwrap();
    let app = mllp_app(&dir, |args| args.bulk_body_limit = 700).await;
    let patient = patient_0042(&app).await;
    let mut stream = connect(app.mllp_addr.unwrap()).await;
    stream.write_all(b"hello\r\n").await.unwrap();
    let unreadable = exchange(&mut stream, b"this is not HL7").await;
    assert_eq!(msa(&unreadable).0, "AR");
    let oversize = exchange(&mut stream, &vec![b'x'; 5000]).await;
    assert_eq!(msa(&oversize).0, "AR");
    assert!(oversize.contains("over the limit"), "{oversize}");
    // A frame the sender abandons (a new start block) is dropped; the next one is read.
    stream.write_all(b"\x0bMSH|^~\\&|half").await.unwrap();
    let ok = exchange(&mut stream, &fixture("hl7v2/oru-tsh-tpo.hl7")).await;
    assert_eq!(msa(&ok).0, "AA");
    assert_eq!(results_of(&app, &patient).await.len(), 2);
}

#[actix_web::test]
async fn a_message_from_an_unknown_sending_facility_gets_ar_and_nothing_is_stored() {
    let dir = tempfile::tempdir().unwrap();
    let app = mllp_app(&dir, |_| {}).await;
    let patient = patient_0042(&app).await;
    let mut stream = connect(app.mllp_addr.unwrap()).await;
    let other = fixture_with("hl7v2/oru-tsh-tpo.hl7", &[("|CITYLAB^", "|OTHERLAB^")]);
    let reply = exchange(&mut stream, &other).await;
    assert_eq!(msa(&reply), ("AR".to_owned(), "MSG00001".to_owned()));
    assert!(reply.contains("MSH^1^4"), "{reply}");
    assert!(results_of(&app, &patient).await.is_empty());
    assert!(
        messages(&app).is_empty(),
        "nothing stored, not even the log"
    );
}

#[actix_web::test]
async fn an_idle_connection_is_closed_by_the_server() {
    let dir = tempfile::tempdir().unwrap();
    let app = mllp_app(&dir, |args| args.mllp.mllp_idle_timeout_secs = 1).await;
    let mut stream = connect(app.mllp_addr.unwrap()).await;
    let mut buf = [0u8; 16];
    let read = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut buf)).await;
    assert!(matches!(read, Ok(Ok(0)) | Ok(Err(_))), "closed: {read:?}");
}

/// Test certificates: a CA and the server's (localhost) certificate, and a self-signed client.
struct Pki {
    dir: tempfile::TempDir,
    ca: rustls_pki_types::CertificateDer<'static>,
}

fn client_identity() -> (rcgen::CertifiedKey, String) {
    let client = rcgen::generate_simple_self_signed(vec!["citylab".to_owned()]).unwrap();
    let pin = rpl_workup::mllp::clients::fingerprint(client.cert.der());
    (client, pin)
}

fn server_pki() -> Pki {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};
    let dir = tempfile::tempdir().unwrap();
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let key = KeyPair::generate().unwrap();
    let cert = CertificateParams::new(vec!["localhost".to_owned()])
        .unwrap()
        .signed_by(&key, &ca, &ca_key)
        .unwrap();
    std::fs::write(dir.path().join("server.pem"), cert.pem()).unwrap();
    std::fs::write(dir.path().join("server.key"), key.serialize_pem()).unwrap();
    Pki {
        dir,
        ca: ca.der().clone(),
    }
}

async fn connect_tls(
    addr: SocketAddr,
    ca: &rustls_pki_types::CertificateDer<'static>,
    client: &rcgen::CertifiedKey,
) -> std::io::Result<tokio_rustls::client::TlsStream<TcpStream>> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    roots.add(ca.clone()).unwrap();
    let key = rustls_pki_types::PrivateKeyDer::Pkcs8(client.key_pair.serialize_der().into());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_client_auth_cert(vec![client.cert.der().clone()], key)
        .unwrap();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let name = rustls_pki_types::ServerName::try_from("localhost").unwrap();
    connector.connect(name, connect(addr).await).await
}

#[actix_web::test]
async fn over_tls_a_pinned_client_certificate_is_taken_and_any_other_is_refused() {
    let pki = server_pki();
    let (client, pin) = client_identity();
    let clients = clients_file(&pki.dir, Some(&pin));
    let (cert, key) = (
        pki.dir.path().join("server.pem"),
        pki.dir.path().join("server.key"),
    );
    let app = spawn_app_with(|args| {
        with_mllp(args, clients);
        args.mllp.mllp_tls_cert_file = Some(cert);
        args.mllp.mllp_tls_key_file = Some(key);
    })
    .await;
    let patient = patient_0042(&app).await;
    let addr = app.mllp_addr.unwrap();

    let mut tls = connect_tls(addr, &pki.ca, &client)
        .await
        .expect("handshake");
    let reply = exchange(&mut tls, &fixture("hl7v2/oru-tsh-tpo.hl7")).await;
    assert_eq!(msa(&reply).0, "AA");
    assert_eq!(results_of(&app, &patient).await.len(), 2);

    let (stranger, _) = client_identity();
    // TLS 1.3 may finish the client side before the server refuses: then the first read fails.
    if let Ok(mut tls) = connect_tls(addr, &pki.ca, &stranger).await {
        send_frame(&mut tls, &fixture("hl7v2/oru-acl-preliminary.hl7")).await;
        assert_eq!(read_frame(&mut tls).await, None, "refused");
    }
    let mut plain = connect(addr).await;
    send_frame(&mut plain, &fixture("hl7v2/oru-acl-preliminary.hl7")).await;
    assert_eq!(read_frame(&mut plain).await, None, "plain TCP is refused");
    assert_eq!(results_of(&app, &patient).await.len(), 2);
}

#[actix_web::test]
async fn without_tls_the_listener_starts_only_on_loopback() {
    let dir = tempfile::tempdir().unwrap();
    let db = TestDb::new();
    let mut args = serve_args(&db.url);
    with_mllp(&mut args, clients_file(&dir, None));
    args.mllp.mllp_listen = Some("0.0.0.0:0".to_owned());
    let err = Application::build(&args).err().expect("refused");
    assert!(err.to_string().contains("TLS"), "{err}");
}

/// A server the test can kill: the HTTP server and the MLLP listener with all its connections.
struct Killable {
    app: TestApp,
    http: actix_web::dev::ServerHandle,
    mllp: tokio::task::JoinHandle<()>,
}

async fn spawn_killable(db: Arc<TestDb>, clients: std::path::PathBuf) -> Killable {
    let mut args = serve_args(&db.url);
    with_mllp(&mut args, clients);
    let app = Application::build(&args).expect("app builds");
    let server = app.server;
    let http = server.handle();
    let listener = app.mllp.expect("MLLP on");
    let mllp_addr = listener.local_addr();
    let mllp = actix_web::rt::spawn(listener.run());
    actix_web::rt::spawn(server);
    // Reads go through a second HTTP app on the same database, which the kill leaves alone.
    let mut handle = spawn_on(db, |_| {}).await;
    handle.mllp_addr = Some(mllp_addr);
    Killable {
        app: handle,
        http,
        mllp,
    }
}

impl Killable {
    async fn kill(self) {
        self.mllp.abort();
        let _ = self.mllp.await;
        self.http.stop(false).await;
    }
}

#[actix_web::test]
async fn after_a_kill_between_frames_every_acknowledged_message_is_stored_once_and_a_resend_is_a_duplicate(
) {
    let dir = tempfile::tempdir().unwrap();
    let clients = clients_file(&dir, None);
    let db = Arc::new(TestDb::new());
    let first = spawn_killable(db.clone(), clients.clone()).await;
    let patient = patient_0042(&first.app).await;
    let mut stream = connect(first.app.mllp_addr.unwrap()).await;
    let one = exchange(&mut stream, &fixture("hl7v2/oru-tsh-tpo.hl7")).await;
    let two = exchange(&mut stream, &fixture("hl7v2/oru-acl-preliminary.hl7")).await;
    assert_eq!((msa(&one).0.as_str(), msa(&two).0.as_str()), ("AA", "AA"));
    // Half of a third frame is on the wire when the server dies.
    let third = fixture("hl7v2/oru-la-cancelled.hl7");
    let mut partial = vec![0x0b];
    partial.extend_from_slice(&third[..third.len() / 2]);
    stream.write_all(&partial).await.unwrap();
    first.kill().await;
    assert_eq!(
        read_frame(&mut stream).await,
        None,
        "the connection died with the server"
    );

    let second = spawn_killable(db.clone(), clients).await;
    let stored = results_of(&second.app, &patient).await.len();
    assert_eq!(stored, 3, "both acknowledged messages survived the kill");
    let mut stream = connect(second.app.mllp_addr.unwrap()).await;
    assert_eq!(
        exchange(&mut stream, &fixture("hl7v2/oru-tsh-tpo.hl7")).await,
        one
    );
    assert_eq!(
        exchange(&mut stream, &fixture("hl7v2/oru-acl-preliminary.hl7")).await,
        two
    );
    let resent = exchange(&mut stream, &third).await;
    assert_eq!(msa(&resent).0, "AA");
    assert_eq!(results_of(&second.app, &patient).await.len(), stored + 1);
    let accepted = messages(&second.app)
        .into_iter()
        .filter(|m| m.outcome == "accepted")
        .count();
    assert_eq!(accepted, 3, "each message logged once");
    second.kill().await;
}
