//! Tokio's process in magpie's runtime comparison. The command line, the
//! workloads and their sizes are those of bench/compare/workloads.h:
//!
//!   tokio_peer bench WORKLOAD WORKERS SAMPLES [SCALE]
//!   tokio_peer echo WORKERS
//!
//! The scheduler workloads follow Tokio's own benches/rt_multi_threaded.rs,
//! written as a Tokio user writes them (spawn, JoinHandle, oneshot,
//! yield_now, sleep).

use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::runtime::Runtime;
use tokio::sync::oneshot;

const SPAWN_MANY: usize = 10_000;
const YIELD_TASKS: usize = 200;
const YIELDS_PER_TASK: usize = 1_000;
const PING_PONGS: usize = 1_000;
const CHAIN_DEPTH: usize = 1_000;
const TIMERS: usize = 100_000;
const TIMER_SPREAD_MS: usize = 10;
const LATENESS_TIMERS: usize = 1_000;
const LATENESS_SPREAD_MS: usize = 50;
const MAX_SERVE: Duration = Duration::from_secs(900);

fn scaled(n: usize, scale: f64) -> usize {
    ((n as f64 * scale).round() as usize).max(1)
}

async fn spawn_many(n: usize) {
    let mut handles = Vec::with_capacity(n);
    for _ in 0..n {
        handles.push(tokio::spawn(async {}));
    }
    for handle in handles {
        handle.await.unwrap();
    }
}

async fn yield_many(tasks: usize, yields: usize) {
    let mut handles = Vec::with_capacity(tasks);
    for _ in 0..tasks {
        handles.push(tokio::spawn(async move {
            for _ in 0..yields {
                tokio::task::yield_now().await;
            }
        }));
    }
    for handle in handles {
        handle.await.unwrap();
    }
}

async fn ping_pong(pairs: usize) {
    let mut handles = Vec::with_capacity(pairs);
    for _ in 0..pairs {
        handles.push(tokio::spawn(async {
            let (ping_tx, ping_rx) = oneshot::channel::<i32>();
            let (pong_tx, pong_rx) = oneshot::channel::<i32>();
            tokio::spawn(async move {
                let v = ping_rx.await.unwrap_or(0);
                let _ = pong_tx.send(v);
            });
            let _ = ping_tx.send(1);
            let _ = pong_rx.await;
        }));
    }
    for handle in handles {
        handle.await.unwrap();
    }
}

fn chain(done: oneshot::Sender<()>, remaining: usize) {
    if remaining == 0 {
        let _ = done.send(());
    } else {
        tokio::spawn(async move { chain(done, remaining - 1) });
    }
}

async fn chained_spawn(depth: usize) {
    let (done_tx, done_rx) = oneshot::channel();
    tokio::spawn(async move { chain(done_tx, depth) });
    done_rx.await.unwrap();
}

async fn many_timers(n: usize) {
    let mut handles = Vec::with_capacity(n);
    for i in 0..n {
        let ms = 1 + (i % TIMER_SPREAD_MS) as u64;
        handles.push(tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(ms)).await;
        }));
    }
    for handle in handles {
        handle.await.unwrap();
    }
}

async fn timer_lateness_p99(n: usize) -> f64 {
    let mut handles = Vec::with_capacity(n);
    for i in 0..n {
        let ms = 1 + (i % LATENESS_SPREAD_MS) as u64;
        handles.push(tokio::spawn(async move {
            let due = Instant::now() + Duration::from_millis(ms);
            tokio::time::sleep_until(due.into()).await;
            Instant::now().duration_since(due).as_secs_f64() * 1e6
        }));
    }
    let mut late = Vec::with_capacity(n);
    for handle in handles {
        late.push(handle.await.unwrap());
    }
    late.sort_by(|a, b| a.partial_cmp(b).unwrap());
    late[((0.99 * late.len() as f64) as usize).min(late.len() - 1)]
}

/// One sample of `workload`, in its unit (ms; us for the lateness).
fn run_sample(rt: &Runtime, workload: &str, scale: f64) -> Option<f64> {
    let start = Instant::now();
    match workload {
        "spawn_many" => rt.block_on(rt.spawn(spawn_many(scaled(SPAWN_MANY, scale))))
            .unwrap(),
        "spawn_remote" => {
            let n = scaled(SPAWN_MANY, scale);
            let handles: Vec<_> = (0..n).map(|_| rt.spawn(async {})).collect();
            rt.block_on(async {
                for handle in handles {
                    handle.await.unwrap();
                }
            });
        }
        "yield_many" => rt.block_on(rt.spawn(yield_many(
                scaled(YIELD_TASKS, scale),
                scaled(YIELDS_PER_TASK, scale),
            )))
            .unwrap(),
        "ping_pong" => rt.block_on(rt.spawn(ping_pong(scaled(PING_PONGS, scale))))
            .unwrap(),
        "chained_spawn" => rt.block_on(rt.spawn(chained_spawn(scaled(CHAIN_DEPTH, scale))))
            .unwrap(),
        "timers_100k" => rt.block_on(rt.spawn(many_timers(scaled(TIMERS, scale))))
            .unwrap(),
        "timer_lateness_p99" => {
            let n = scaled(LATENESS_TIMERS, scale);
            return Some(rt.block_on(rt.spawn(timer_lateness_p99(n))).unwrap());
        }
        _ => return None,
    }
    Some(start.elapsed().as_secs_f64() * 1e3)
}

async fn echo(mut stream: TcpStream) {
    let _ = stream.set_nodelay(true);
    let mut buf = [0u8; 4096];
    loop {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => {
                if stream.write_all(&buf[..n]).await.is_err() {
                    return;
                }
            }
        }
    }
}

async fn serve() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    println!("port {}", listener.local_addr().unwrap().port());
    loop {
        if let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(echo(stream));
        }
    }
}

fn usage() -> ! {
    eprintln!("usage: tokio_peer bench WORKLOAD WORKERS SAMPLES [SCALE]\n       tokio_peer echo WORKERS");
    std::process::exit(2);
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 3 {
        usage();
    }
    let bench = args[1] == "bench";
    let workers: usize = args[if bench { 3 } else { 2 }].parse().unwrap_or(0);
    if workers < 1 {
        usage();
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .enable_all()
        .build()
        .unwrap();
    if args[1] == "echo" {
        std::thread::spawn(|| {
            std::thread::sleep(MAX_SERVE);
            std::process::exit(0);
        });
        rt.block_on(serve());
        return;
    }
    if !bench || args.len() < 5 {
        usage();
    }
    let samples: usize = args[4].parse().unwrap_or(0);
    let scale: f64 = args.get(5).map_or(1.0, |s| s.parse().unwrap_or(0.0));
    if samples < 1 || !(scale > 0.0) {
        usage();
    }
    for i in 0..=samples {
        // Sample 0 warms up.
        match run_sample(&rt, &args[2], scale) {
            Some(v) if i > 0 => println!("sample {:.3}", v),
            Some(_) => {}
            None => {
                eprintln!("unknown workload: {}", args[2]);
                std::process::exit(2);
            }
        }
    }
}
