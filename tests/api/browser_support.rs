//! The browser under test: chromedriver and a headless Chromium session (or a clear skip), and
//! what the dashboard test measures in the page (axe-core, page errors, timings, printout).

use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};

const AXE: &str = include_str!("../vendor/axe-core/axe.min.js");

fn on_path(name: &str) -> Option<std::path::PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(name))
            .find(|p| p.is_file())
    })
}

/// chromedriver on a free port, stopped with the test.
pub struct Driver(std::process::Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub async fn browser() -> Option<(Driver, Client)> {
    let (Some(driver), Some(chromium)) = (
        on_path("chromedriver"),
        on_path("chromium").or_else(|| on_path("google-chrome")),
    ) else {
        let why = "chromedriver and chromium are not on PATH \
                   (install: apt-get install -y chromium chromium-driver)";
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must run the browser tests: {why}"
        );
        eprintln!("SKIPPED browser tests: {why}");
        return None;
    };
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let child = std::process::Command::new(driver)
        .arg(format!("--port={port}"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("chromedriver starts");
    let driver = Driver(child);
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".to_owned(),
        json!({"binary": chromium, "args": [
            "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
            "--window-size=1200,1800", "--lang=en-GB"
        ]}),
    );
    let started = Instant::now();
    loop {
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        match ClientBuilder::new(connector)
            .capabilities(caps.clone())
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
        {
            Ok(client) => return Some((driver, client)),
            Err(e) if started.elapsed() < Duration::from_secs(15) => {
                let _ = e;
                actix_web::rt::time::sleep(Duration::from_millis(200)).await;
            }
            Err(e) => panic!("cannot start a browser session: {e}"),
        }
    }
}

/// Runs the vendored axe-core in the page: the serious and critical violations, and any script
/// error or CSP violation the page recorded.
pub async fn axe(client: &Client) -> Vec<Value> {
    let errors = client
        .execute("return window.rplErrors || ['app.js did not run'];", vec![])
        .await
        .expect("page errors");
    assert_eq!(
        errors,
        json!([]),
        "script errors or CSP violations in the page"
    );
    client.execute(AXE, vec![]).await.expect("axe loads");
    let found = client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             axe.run(document, {resultTypes: ['violations']})
                .then(r => done(r.violations
                    .filter(v => v.impact === 'serious' || v.impact === 'critical')
                    .map(v => ({id: v.id, impact: v.impact, help: v.help,
                                nodes: v.nodes.map(n => n.target.join(' '))}))))
                .catch(e => done([{id: 'axe-error', help: String(e)}]));",
            vec![],
        )
        .await
        .expect("axe runs");
    found.as_array().cloned().unwrap_or_default()
}

/// The page count of a PDF (the largest `/Count` of its page tree).
pub fn pdf_pages(pdf: &[u8]) -> usize {
    let text = String::from_utf8_lossy(pdf);
    text.match_indices("/Count ")
        .filter_map(|(i, m)| {
            let digits: String = text[i + m.len()..]
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            digits.parse().ok()
        })
        .max()
        .unwrap_or(0)
}

/// Prints time to first render (the page's `rpl-rendered` mark, from navigation start) and page
/// weight (every response body of the page, API calls included; and the bytes transferred).
pub async fn figures(client: &Client, page: &str) {
    let f = client
        .execute(
            "const nav = performance.getEntriesByType('navigation')[0];
             const all = [nav].concat(performance.getEntriesByType('resource'));
             const sum = k => all.reduce((s, e) => s + (e[k] || 0), 0);
             return {render_ms: Math.round(performance.getEntriesByName('rpl-rendered')[0].startTime),
                     body_kb: Math.round(sum('encodedBodySize') / 102.4) / 10,
                     transferred_kb: Math.round(sum('transferSize') / 102.4) / 10,
                     requests: all.length};",
            vec![],
        )
        .await
        .expect("performance figures");
    eprintln!(
        "dashboard {page}: first render {} ms; {} requests, {} KB of bodies, {} KB transferred",
        f["render_ms"], f["requests"], f["body_kb"], f["transferred_kb"]
    );
}

pub async fn wait_for(client: &Client, css: &str) -> fantoccini::elements::Element {
    client
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css} never appeared: {e}"))
}

pub async fn count(client: &Client, css: &str) -> usize {
    client
        .find_all(Locator::Css(css))
        .await
        .expect("find")
        .len()
}
