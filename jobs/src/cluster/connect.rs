//! Forming the cluster: one TCP connection between every pair of processes, then timely's
//! allocators over them.
//!
//! Timely's own `create_sockets` would do the connecting, but it retries forever, prints to
//! standard output and trusts whoever connects. This does the same with a deadline and a
//! handshake that checks both ends agree on the cluster (index, process count, threads), and it
//! lets the caller choose *when* each process connects: process 0 listens only after it has
//! prepared the data directory, so a process that has connected to it reads a consistent one.
//! Process `i` listens for processes above it and connects to those below it, like timely.

use std::any::Any;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

use timely::communication::allocator::ProcessBuilder;
use timely::communication::allocator::zero_copy::initialize::initialize_networking_from_sockets;
use timely::communication::{AllocatorBuilder, Hooks};

use super::{ClusterError, ClusterPlan};

/// Opens every handshake ("cohort" and a version), so a stray connection is told apart.
const MAGIC: u64 = 0x636f_686f_7274_0001;

/// How long one connection attempt, or reading the hello of a connection accepted, may take.
const ATTEMPT: Duration = Duration::from_secs(5);

/// How often a process retries a peer that is not listening yet.
const RETRY: Duration = Duration::from_millis(100);

/// A formed cluster, ready for `timely::execute::execute_from` ([`Connected::into_parts`]).
pub struct Connected {
    /// One allocator per local worker thread.
    builders: Vec<AllocatorBuilder>,
    /// The communication threads; dropping it waits for them.
    guard: Option<Box<dyn Any + Send>>,
}

impl Connected {
    /// The allocators (one per local worker thread) and the guard of the communication threads.
    pub fn into_parts(mut self) -> (Vec<AllocatorBuilder>, Box<dyn Any + Send>) {
        let guard = self.guard.take().unwrap_or_else(|| Box::new(()));
        (std::mem::take(&mut self.builders), guard)
    }
}

impl Drop for Connected {
    /// A cluster given up before its workers started (the run failed on the way): the
    /// communication threads panic when their workers never come, and timely's guard would panic
    /// joining them, in the middle of returning the run's error. Leave them to the process's exit,
    /// which closes the connections so the other processes stop too.
    fn drop(&mut self) {
        if let Some(guard) = self.guard.take() {
            std::mem::forget(guard);
        }
    }
}

/// What each end of a connection says about itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Hello {
    process: u64,
    processes: u64,
    threads: u64,
}

impl Hello {
    fn write(&self, stream: &mut TcpStream) -> std::io::Result<()> {
        let mut bytes = Vec::with_capacity(32);
        for word in [MAGIC, self.process, self.processes, self.threads] {
            bytes.extend_from_slice(&word.to_be_bytes());
        }
        stream.write_all(&bytes)
    }

    /// The peer's hello; `None` when the bytes are not a cohort handshake.
    fn read(stream: &mut TcpStream) -> std::io::Result<Option<Hello>> {
        let mut bytes = [0u8; 32];
        stream.read_exact(&mut bytes)?;
        let word = |i: usize| {
            let mut w = [0u8; 8];
            w.copy_from_slice(&bytes[i * 8..i * 8 + 8]);
            u64::from_be_bytes(w)
        };
        Ok((word(0) == MAGIC).then(|| Hello {
            process: word(1),
            processes: word(2),
            threads: word(3),
        }))
    }
}

/// Connects this process to every other process of `plan`, each running `threads` worker
/// threads, within the plan's connect timeout; then starts timely's communication threads.
pub fn connect(plan: &ClusterPlan, threads: usize) -> Result<Connected, ClusterError> {
    let me = plan.process;
    let fail = |message: String| ClusterError::Connect {
        process: me,
        message,
    };
    let hello = Hello {
        process: me as u64,
        processes: plan.processes() as u64,
        threads: threads as u64,
    };
    let deadline = Instant::now() + plan.connect_timeout;
    // Listen first, so higher processes can queue their connections while this one dials lower ones.
    let listener = match me + 1 < plan.processes() {
        true => Some(
            TcpListener::bind(&plan.addresses[me])
                .and_then(|l| l.set_nonblocking(true).map(|()| l))
                .map_err(|e| {
                    fail(format!(
                        "cannot listen on {} (its line of the hostfile): {e}; is a process of an earlier cluster still running?",
                        plan.addresses[me]
                    ))
                })?,
        ),
        false => None,
    };
    let mut sockets: Vec<Option<TcpStream>> = (0..plan.processes()).map(|_| None).collect();
    for (peer, address) in plan.addresses.iter().enumerate().take(me) {
        let stream = dial(address, deadline).map_err(|e| {
            fail(format!(
                "process {peer} at {address} did not answer within {} ms: {e}",
                plan.connect_timeout.as_millis()
            ))
        })?;
        sockets[peer] = Some(
            greet(stream, hello, peer, deadline)
                .map_err(|e| fail(format!("process {peer}: {e}")))?,
        );
    }
    if let Some(listener) = listener {
        accept_all(&listener, &mut sockets, hello, deadline).map_err(fail)?;
    }
    for stream in sockets.iter().flatten() {
        stream
            .set_read_timeout(None)
            .and_then(|()| stream.set_nodelay(true))
            .map_err(|e| fail(format!("configuring a connection: {e}")))?;
    }
    let hooks = Hooks::default();
    let local =
        ProcessBuilder::new_typed_vector(threads, hooks.refill.clone(), hooks.spill.clone());
    let (builders, guard) = initialize_networking_from_sockets(local, sockets, me, threads, hooks)
        .map_err(|e| fail(format!("starting the communication threads: {e}")))?;
    Ok(Connected {
        builders: builders.into_iter().map(AllocatorBuilder::Tcp).collect(),
        guard: Some(Box::new(guard)),
    })
}

/// Connects to `address`, retrying until `deadline` while nobody listens there yet.
fn dial(address: &str, deadline: Instant) -> std::io::Result<TcpStream> {
    loop {
        let attempt = address.to_socket_addrs().and_then(|mut addrs| {
            addrs
                .next()
                .ok_or_else(|| std::io::Error::other("the address resolves to nothing"))
                .and_then(|addr| TcpStream::connect_timeout(&addr, ATTEMPT))
        });
        match attempt {
            Ok(stream) => return Ok(stream),
            Err(e) if Instant::now() + RETRY >= deadline => return Err(e),
            Err(_) => std::thread::sleep(RETRY),
        }
    }
}

/// Says hello on a connection this process dialled, and checks that the other end answers as
/// process `expected` of the same cluster. The answer may take until `deadline`: the other end
/// accepts only once it has connected to the processes below it.
fn greet(
    mut stream: TcpStream,
    hello: Hello,
    expected: usize,
    deadline: Instant,
) -> Result<TcpStream, String> {
    let io = |e: std::io::Error| format!("handshake failed: {e}");
    let patience = deadline
        .saturating_duration_since(Instant::now())
        .max(Duration::from_secs(1));
    stream.set_nonblocking(false).map_err(io)?;
    stream.set_read_timeout(Some(patience)).map_err(io)?;
    hello.write(&mut stream).map_err(io)?;
    let Some(theirs) = Hello::read(&mut stream).map_err(io)? else {
        return Err("the other end is not a cohort cluster process".into());
    };
    check(hello, theirs, expected)?;
    Ok(stream)
}

/// Whether `theirs` is process `expected` of the cluster `ours` belongs to.
fn check(ours: Hello, theirs: Hello, expected: usize) -> Result<(), String> {
    if theirs.processes != ours.processes {
        return Err(format!(
            "it runs with cluster.processes = {}, this process with {}",
            theirs.processes, ours.processes
        ));
    }
    if theirs.threads != ours.threads {
        return Err(format!(
            "it runs {} worker threads, this process {}: every process needs the same --workers",
            theirs.threads, ours.threads
        ));
    }
    if theirs.process != expected as u64 {
        return Err(format!(
            "the process there says it is process {}, but the hostfile has process {expected} \
             there: give every process the same hostfile and its own --process",
            theirs.process
        ));
    }
    Ok(())
}

/// Accepts a connection from every process above this one before `deadline`.
fn accept_all(
    listener: &TcpListener,
    sockets: &mut [Option<TcpStream>],
    hello: Hello,
    deadline: Instant,
) -> Result<(), String> {
    let me = hello.process as usize;
    while sockets[me + 1..].iter().any(Option::is_none) {
        match listener.accept() {
            Ok((mut stream, from)) => {
                // Which process it is comes from its hello; read it before trusting the stream.
                let peek = stream
                    .set_nonblocking(false)
                    .and_then(|()| stream.set_read_timeout(Some(ATTEMPT)))
                    .and_then(|()| Hello::read(&mut stream));
                let Ok(Some(theirs)) = peek else {
                    tracing::warn!(
                        "cluster: ignored a connection from {from} that is not a cohort process"
                    );
                    continue;
                };
                let peer = theirs.process as usize;
                if peer <= me || peer >= sockets.len() || sockets[peer].is_some() {
                    return Err(format!(
                        "a process at {from} says it is process {peer}, which should not connect here; give every process its own --process"
                    ));
                }
                check(hello, theirs, peer).map_err(|e| format!("process {peer}: {e}"))?;
                hello
                    .write(&mut stream)
                    .map_err(|e| format!("process {peer}: handshake failed: {e}"))?;
                sockets[peer] = Some(stream);
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                if Instant::now() >= deadline {
                    let missing: Vec<usize> = (me + 1..sockets.len())
                        .filter(|p| sockets[*p].is_none())
                        .collect();
                    return Err(format!(
                        "processes {missing:?} did not connect within the connect timeout (`cluster.connect_timeout_ms`)"
                    ));
                }
                std::thread::sleep(RETRY);
            }
            Err(e) => return Err(format!("accepting connections: {e}")),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hello(process: u64) -> Hello {
        Hello {
            process,
            processes: 2,
            threads: 1,
        }
    }

    #[test]
    fn a_mismatched_cluster_is_refused_with_what_differs() {
        assert!(check(hello(0), hello(1), 1).is_ok());
        let e = check(
            hello(0),
            Hello {
                processes: 3,
                ..hello(1)
            },
            1,
        )
        .unwrap_err();
        assert!(e.contains("cluster.processes = 3"), "{e}");
        let e = check(
            hello(0),
            Hello {
                threads: 2,
                ..hello(1)
            },
            1,
        )
        .unwrap_err();
        assert!(e.contains("--workers"), "{e}");
        let e = check(hello(1), hello(1), 0).unwrap_err();
        assert!(e.contains("hostfile"), "{e}");
    }

    #[test]
    fn two_processes_connect_and_a_missing_one_times_out() {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let plan = move |process| ClusterPlan {
            process,
            addresses: vec![format!("127.0.0.1:{port}"), "127.0.0.1:1".into()],
            connect_timeout: Duration::from_millis(300),
        };
        // Process 0 alone: nobody connects.
        let e = connect(&plan(0), 1).err().unwrap().to_string();
        assert!(e.contains("did not connect") && e.contains("[1]"), "{e}");
        // Both: each runs its worker over the connections, and each worker sees the whole cluster.
        let run = |connected: Connected| -> Vec<(usize, usize)> {
            let (builders, guard) = connected.into_parts();
            let guards = timely::execute::execute_from(
                builders,
                guard,
                timely::WorkerConfig::default(),
                |worker| (worker.index(), worker.peers()),
            )
            .unwrap();
            guards.join().into_iter().map(Result::unwrap).collect()
        };
        let zero = std::thread::spawn(move || {
            let mut plan = plan(0);
            plan.connect_timeout = Duration::from_secs(20);
            run(connect(&plan, 1).unwrap())
        });
        let mut one = plan(1);
        one.connect_timeout = Duration::from_secs(20);
        assert_eq!(run(connect(&one, 1).unwrap()), vec![(1, 2)]);
        assert_eq!(zero.join().unwrap(), vec![(0, 2)]);
    }
}
