//! A sampler run with its own σ list for every row. Rows that share a list form a group; every
//! group runs the unchanged sampler in a thread of its own, and the groups' denoiser calls are
//! gathered into one batched call per round (each row at its own σ), made on the calling thread
//! with the caller's denoiser. A round takes one call from every group still running (adaptive
//! samplers' groups drop out as they finish), so a row computes exactly what a run of its group
//! alone computes, and there are as many batched calls as the group with the most. Each group
//! draws its noise from its own generator, seeded from the caller's in group order (groups in
//! the order their first row appears), so one seed fixes every draw.

use super::{check_step_sigmas, Noise, Params, Run, Sampler};
use crate::diffusion::denoiser::Denoiser;
use crate::diffusion::schedule::Schedule;
use crate::error::{Error, Result};
use crate::tensor::{rng, transfer, Tensor};
use std::collections::HashMap;
use std::sync::mpsc::{channel, Receiver, Sender};

/// What a group's thread tells the calling thread: a denoiser call it waits on, or its end.
enum Message {
    /// D(x, σ) for the group (`sigma`: one value, or one per row of `x`).
    Call { group: usize, x: Tensor, sigma: Vec<f64> },
    /// The group's result, with its evaluations, steps and rounds.
    Done { group: usize, result: Result<(Tensor, usize, usize, usize)> },
}

/// The denoiser a group's sampler sees: it hands each call to the calling thread and waits.
struct Relay {
    group: usize,
    calls: Sender<Message>,
    answers: Receiver<Result<Tensor>>,
    example_shape: Option<Vec<usize>>,
    sigma_range: (f64, f64),
    schedule: Option<Schedule>,
}

impl Denoiser for Relay {
    fn denoise(&self, x: &Tensor, sigma: &[f64]) -> Result<Tensor> {
        let call = Message::Call { group: self.group, x: x.clone(), sigma: sigma.to_vec() };
        self.calls.send(call).map_err(|_| Error::new("the batched sampling run stopped"))?;
        self.answers.recv().map_err(|_| Error::new("the batched sampling run stopped"))?
    }

    fn example_shape(&self) -> Option<Vec<usize>> {
        self.example_shape.clone()
    }

    fn sigma_range(&self) -> (f64, f64) {
        self.sigma_range
    }

    fn schedule(&self) -> Option<&Schedule> {
        self.schedule.as_ref()
    }
}

/// The rows of each distinct list, in the order the lists first appear.
fn groups(sigmas: &[Vec<f64>]) -> Vec<(&[f64], Vec<usize>)> {
    let mut index: HashMap<Vec<u64>, usize> = HashMap::new();
    let mut out: Vec<(&[f64], Vec<usize>)> = vec![];
    for (row, list) in sigmas.iter().enumerate() {
        let key: Vec<u64> = list.iter().map(|s| s.to_bits()).collect();
        let g = *index.entry(key).or_insert_with(|| {
            out.push((list, vec![]));
            out.len() - 1
        });
        out[g].1.push(row);
    }
    out
}

/// The rows `rows` of `x`, in that order.
fn take_rows(x: &Tensor, rows: &[usize]) -> Result<Tensor> {
    let picks: Vec<u32> = rows.iter().map(|&r| r as u32).collect();
    let idx = transfer::upload(picks, rows.len(), candle_core::DType::U32, x.device())?;
    Ok(Tensor::from_candle(x.candle().index_select(&idx, 0)?))
}

/// One batched call for the calls of a round: the inputs stacked, each row at its σ.
fn batched_call(run: &mut Run, calls: &[(usize, Tensor, Vec<f64>)]) -> Result<Vec<Tensor>> {
    let mut sigma = Vec::new();
    for (_, x, s) in calls {
        let rows = x.dims().first().copied().unwrap_or(1);
        match s.len() {
            1 => sigma.extend(std::iter::repeat_n(s[0], rows)),
            _ => sigma.extend_from_slice(s),
        }
    }
    let inputs: Vec<&candle_core::Tensor> = calls.iter().map(|(_, x, _)| x.candle()).collect();
    crate::interrupt::check()?;
    let out = run.denoiser().denoise(&Tensor::from_candle(candle_core::Tensor::cat(&inputs, 0)?), &sigma)?;
    let mut at = 0;
    let mut parts = Vec::with_capacity(calls.len());
    for (_, x, _) in calls {
        let rows = x.dims()[0];
        parts.push(Tensor::from_candle(out.candle().narrow(0, at, rows)?));
        at += rows;
    }
    Ok(parts)
}

/// Runs `sampler` (its options resolved in `params`) from `x`, row r along `sigmas[r]`; adds to
/// the run's record the most evaluations, steps and rounds of any group (what a row saw).
pub(super) fn run_per_row(
    sampler: &Sampler,
    run: &mut Run,
    x: Tensor,
    sigmas: &[Vec<f64>],
    params: &Params,
) -> Result<Tensor> {
    let rows = x.dims()[0];
    if sigmas.len() != rows {
        crate::bail!("per-row sigmas need one list for each of the {rows} rows, got {} lists", sigmas.len());
    }
    for (r, list) in sigmas.iter().enumerate() {
        check_step_sigmas(list).map_err(|e| e.context(format!("the sigma list of row {r}")))?;
    }
    if run.has_given_noise() {
        crate::bail!("given `noise` draws need one sigma list for all rows");
    }
    let groups = groups(sigmas);
    let seeds = rng::integers(groups.len(), 0, i64::MAX)?;
    let parts: Vec<Tensor> = groups.iter().map(|(_, rows)| take_rows(&x, rows)).collect::<Result<_>>()?;
    let den = run.denoiser();
    let (example_shape, sigma_range, schedule) = (den.example_shape(), den.sigma_range(), den.schedule().cloned());
    let (to_main, from_groups) = channel::<Message>();
    let mut answer_to: Vec<Sender<Result<Tensor>>> = Vec::with_capacity(groups.len());
    let mut outputs: Vec<Option<Tensor>> = vec![None; groups.len()];
    let (mut nfe, mut steps, mut rounds) = (0, 0, 0);
    let mut failure: Option<Error> = None;
    std::thread::scope(|scope| {
        for (g, ((list, _), part)) in groups.iter().zip(parts).enumerate() {
            let (answer, answers) = channel();
            answer_to.push(answer);
            let relay = Relay {
                group: g,
                calls: to_main.clone(),
                answers,
                example_shape: example_shape.clone(),
                sigma_range,
                schedule: schedule.clone(),
            };
            let seed = seeds[g] as u64;
            scope.spawn(move || {
                rng::seed(seed);
                let mut inner = Run::new(&relay, Noise::Random, None, false);
                let result = (sampler.run)(&mut inner, part, list, params)
                    .and_then(|out| inner.finish().map(|_| out))
                    .map(|out| (out, inner.record.nfe, inner.record.steps, inner.record.rounds));
                let _ = relay.calls.send(Message::Done { group: g, result });
            });
        }
        drop(to_main);
        let mut running = groups.len();
        while running > 0 {
            // one message from every group still running: a call it waits on, or its end
            let mut calls = Vec::new();
            let expected = running;
            for _ in 0..expected {
                match from_groups.recv() {
                    Ok(Message::Call { group, x, sigma }) => calls.push((group, x, sigma)),
                    Ok(Message::Done { group, result }) => {
                        running -= 1;
                        match result {
                            Ok((out, e, s, r)) => {
                                outputs[group] = Some(out);
                                nfe = nfe.max(e);
                                steps = steps.max(s);
                                rounds = rounds.max(r);
                            }
                            Err(e) => {
                                failure.get_or_insert(e);
                            }
                        }
                    }
                    Err(_) => {
                        // every group thread is gone: nothing more will come
                        failure.get_or_insert(Error::new("a sampling thread stopped without a result"));
                        running = 0;
                        break;
                    }
                }
            }
            if calls.is_empty() {
                continue;
            }
            let answers = match &failure {
                Some(e) => Err(e.clone()),
                None => batched_call(run, &calls),
            };
            match answers {
                Ok(parts) => {
                    for ((group, ..), part) in calls.iter().zip(parts) {
                        let _ = answer_to[*group].send(Ok(part));
                    }
                }
                Err(e) => {
                    for (group, ..) in &calls {
                        let _ = answer_to[*group].send(Err(e.clone()));
                    }
                    failure.get_or_insert(e);
                }
            }
        }
    });
    if let Some(e) = failure {
        return Err(e);
    }
    // the groups' rows back in their places
    let mut order = vec![0u32; rows];
    let mut at = 0;
    for (_, members) in &groups {
        for &r in members {
            order[r] = at;
            at += 1;
        }
    }
    let stacked: Vec<&candle_core::Tensor> =
        outputs.iter().map(|o| o.as_ref().expect("every group ended with a result").candle()).collect();
    let all = candle_core::Tensor::cat(&stacked, 0)?;
    let idx = transfer::upload(order, rows, candle_core::DType::U32, all.device())?;
    run.record.nfe += nfe;
    run.record.steps += steps;
    run.record.rounds += rounds;
    Ok(Tensor::from_candle(all.index_select(&idx, 0)?))
}
