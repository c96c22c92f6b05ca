//! A tokio server that shuts down gracefully on SIGTERM, after which its
//! exit function runs.
//!
//! Run it with `cargo run --example tokio_server`, then `kill -TERM <pid>`
//! (the pid is printed) or press Ctrl-C.
//!
//! This shows the ownership rule. `#[register_exit_fun]` hooks SIGTERM and
//! SIGINT before `main`; then tokio installs its own handlers for them, so
//! tokio owns those signals from then on. A SIGTERM wakes the server's
//! shutdown branch instead of ending the process: the server stops
//! accepting, says goodbye, and returns from `main`, and the exit function
//! runs then, once, on the normal exit path.

use exit_attr::register_exit_fun;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;
use tokio::signal::unix::{SignalKind, signal};

#[register_exit_fun(signals = [SIGTERM, SIGINT])]
fn flush_metrics() {
    println!("exit function: metrics flushed");
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::io::Result<()> {
    let mut terminate = signal(SignalKind::terminate())?;
    let mut interrupt = signal(SignalKind::interrupt())?;
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    println!(
        "pid {} listening on {}",
        std::process::id(),
        listener.local_addr()?
    );
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (mut socket, _) = accepted?;
                tokio::spawn(async move {
                    let _ = socket.write_all(b"hello from exit-attr's tokio example\n").await;
                });
            }
            _ = terminate.recv() => break,
            _ = interrupt.recv() => break,
        }
    }
    println!("shutting down gracefully");
    Ok(())
}
