//! Why an index's keys are not rows of its SQLite database: the cost of
//! adding 1% to an index of N documents' key postings when they are.
//!
//! cargo run --release --example sqlite_keys -- 100000 1000 /tmp/keys.db
//!
//! Builds a table of (key, document) for N documents with 140 keys each
//! (about what a generated news article holds: 28 band keys, 20 SimHash
//! block keys, and passage anchors), then, in a new connection as a new add
//! would, looks up and inserts the keys of ADD more documents in one
//! transaction (write-ahead log, synchronous=FULL), and prints the times.

use std::time::Instant;

use rusqlite::{Connection, params};

const KEYS_PER_DOCUMENT: u64 = 140;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let usage = "usage: sqlite_keys N ADD DATABASE";
    let n: u64 = args.get(1).and_then(|a| a.parse().ok()).expect(usage);
    let add: u64 = args.get(2).and_then(|a| a.parse().ok()).expect(usage);
    let path = args.get(3).expect(usage);
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{path}{suffix}"));
    }
    let key = |i: u64| storydup::hash::mix64(i) as i64;
    let rows = |from: u64, count: u64| -> Vec<(i64, i64)> {
        let mut rows: Vec<(i64, i64)> = (from * KEYS_PER_DOCUMENT
            ..(from + count) * KEYS_PER_DOCUMENT)
            .map(|i| (key(i), (i / KEYS_PER_DOCUMENT) as i64))
            .collect();
        rows.sort_unstable();
        rows
    };
    let insert = |conn: &mut Connection, rows: &[(i64, i64)]| {
        let tx = conn.transaction().unwrap();
        {
            let mut stmt = tx.prepare("INSERT INTO keys VALUES(?1, ?2)").unwrap();
            for (k, d) in rows {
                stmt.execute(params![k, d]).unwrap();
            }
        }
        tx.commit().unwrap();
    };

    let started = Instant::now();
    let mut conn = Connection::open(path).unwrap();
    conn.execute_batch(
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA cache_size=-262144;
         CREATE TABLE keys(key INTEGER, doc INTEGER, PRIMARY KEY(key, doc)) WITHOUT ROWID;",
    )
    .unwrap();
    insert(&mut conn, &rows(0, n));
    conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")
        .unwrap();
    drop(conn);
    println!(
        "built {} keys of {n} documents in {:.1} s, {} bytes",
        n * KEYS_PER_DOCUMENT,
        started.elapsed().as_secs_f64(),
        std::fs::metadata(path).unwrap().len()
    );

    let mut conn = Connection::open(path).unwrap();
    conn.execute_batch("PRAGMA synchronous=FULL; PRAGMA cache_size=-262144;")
        .unwrap();
    let new = rows(n, add);
    let started = Instant::now();
    let mut found = 0;
    {
        let mut stmt = conn
            .prepare("SELECT doc FROM keys WHERE key = ?1 LIMIT 65")
            .unwrap();
        for (k, _) in &new {
            let mut hits = stmt.query(params![k]).unwrap();
            while hits.next().unwrap().is_some() {
                found += 1;
            }
        }
    }
    println!(
        "looked up {} keys of {add} documents in {:.2} s ({found} found)",
        new.len(),
        started.elapsed().as_secs_f64()
    );
    let started = Instant::now();
    insert(&mut conn, &new);
    let wal = std::fs::metadata(format!("{path}-wal")).map_or(0, |m| m.len());
    println!(
        "inserted and committed them in {:.2} s ({wal} bytes of write-ahead log)",
        started.elapsed().as_secs_f64()
    );
}
