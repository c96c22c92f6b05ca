//! Signal latency, tokio: a current-thread runtime awaiting
//! `signal(SignalKind::terminate())` on the main thread.

use tokio::signal::unix::{SignalKind, signal};

fn main() {
    // The runtime has no timer here (no `time` feature): a plain thread
    // bounds the wait instead.
    std::thread::spawn(|| {
        std::thread::sleep(exit_attr_bench::WAIT_LIMIT);
        std::process::exit(exit_attr_bench::GAVE_UP);
    });
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("build the runtime");
    runtime.block_on(async {
        let mut terminate = signal(SignalKind::terminate()).expect("register SIGTERM");
        exit_attr_bench::write_line(exit_attr_bench::READY);
        terminate.recv().await;
        exit_attr_bench::write_line(exit_attr_bench::CLEANUP);
        std::process::exit(0);
    })
}
