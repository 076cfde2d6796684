//! The REPL's `:` commands.

use super::{evaluate, Flow};
use crate::runtime::help::catalog;
use crate::runtime::Session;
use std::time::Instant;

/// Every command with its one-line doc.
pub const COMMANDS: &[(&str, &str)] = &[
    ("help", "this list, or `:help name` for a built-in's signatures and doc"),
    ("vars", "the variables in scope, with their types, and the functions defined"),
    ("reset", "forget every variable, function and import"),
    ("load", "`:load FILE` runs a script file in this session"),
    ("time", "`:time EXPR` evaluates and prints how long it took"),
    ("quit", "leave the REPL (Ctrl-D does too)"),
];

/// Runs the command line after the `:`.
pub fn run(session: &mut Session, line: &str) -> Flow {
    let (name, arg) = line.split_once(char::is_whitespace).map_or((line, ""), |(n, a)| (n, a.trim()));
    match name {
        "help" | "h" if arg.is_empty() => {
            println!("REPL commands:");
            for (name, doc) in COMMANDS {
                println!("  :{name:<6} {doc}");
            }
            println!("help() lists every built-in; Tab completes; Ctrl-C cancels a running line.");
        }
        "help" | "h" => println!("{}", catalog().describe(arg)),
        "vars" => vars(session),
        "reset" => {
            session.reset();
            println!("the session is empty again");
        }
        "load" if arg.is_empty() => eprintln!(":load needs a file: `:load script.rhai`"),
        "load" => match std::fs::read_to_string(arg) {
            Ok(text) => {
                evaluate(session, arg, &text);
            }
            Err(e) => eprintln!(":load {arg}: {e}"),
        },
        "time" if arg.is_empty() => eprintln!(":time needs an expression: `:time x.matmul(x)`"),
        "time" => {
            let started = Instant::now();
            if evaluate(session, "<time>", arg).is_none() {
                println!("time: {}", human_duration(started.elapsed().as_secs_f64()));
            }
        }
        "quit" | "q" | "exit" => return Flow::Quit,
        other => {
            let known: Vec<String> = COMMANDS.iter().map(|(n, _)| format!(":{n}")).collect();
            eprintln!("unknown command :{other}; the commands are {}", known.join(" "));
        }
    }
    Flow::Continue
}

fn vars(session: &Session) {
    let mut any = false;
    for (name, constant, value) in session.scope().iter_raw() {
        any = true;
        let typ = session.engine().map_type_name(value.type_name());
        let typ = typ.rsplit("::").next().unwrap_or(typ);
        let detail = match value.read_lock::<crate::tensor::Tensor>() {
            Some(t) => format!(" {:?} {}", t.dims(), t.dtype().as_str()),
            None => String::new(),
        };
        println!("  {name}{}: {typ}{detail}", if constant { " (const)" } else { "" });
    }
    let mut functions = session.functions();
    functions.sort();
    for (name, params) in &functions {
        any = true;
        println!("  fn {name}({})", params.join(", "));
    }
    if !any {
        println!("  (no variables or functions)");
    }
}

/// A duration in the unit that reads best: `812 µs`, `3.2 ms`, `1.25 s`.
pub fn human_duration(seconds: f64) -> String {
    if seconds < 1e-3 {
        format!("{:.0} µs", seconds * 1e6)
    } else if seconds < 1.0 {
        format!("{:.1} ms", seconds * 1e3)
    } else {
        format!("{seconds:.2} s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_pick_a_unit() {
        assert_eq!(human_duration(0.000_812), "812 µs");
        assert_eq!(human_duration(0.0032), "3.2 ms");
        assert_eq!(human_duration(1.254), "1.25 s");
    }
}
