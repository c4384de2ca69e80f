//! End-to-end tests of the model layer on real (small) datasets: a run
//! resumed after a stop equals one that never stopped; a model directory with
//! a corrupt weight file, or for another domain, gets a clear error; the
//! inference API keeps its contracts.

use std::ops::ControlFlow;
use std::path::Path;

use candle_core::Device;

use super::run::{resume, train_new, DataInfo, RunConfig, TrainData, FORMAT_VERSION};
use super::train::{Event, Observer, Silent, Split};
use super::workflow::{check_same_domain, load_dataset};
use super::{Arch, Model, Preset};
use crate::data::dataset::Dataset;
use crate::data::generate;
use crate::domain::preset::Preset as DomainPreset;

fn dataset(name: &str, n: usize, dir: &Path) -> Dataset {
    let preset = DomainPreset::load(name).unwrap();
    let ds = generate::dataset(&preset, n, 3, &indicatif::ProgressBar::hidden()).unwrap();
    ds.save(dir).unwrap();
    load_dataset(dir).unwrap()
}

/// A very small configuration so the tests are fast.
fn small_config(ds: &Dataset, epochs: usize) -> RunConfig {
    let (mut model, mut train) = Preset::Tiny.configs(ds.manifest.shape, 5);
    model.arch = Arch::Mlp { hidden: vec![32] };
    model.bits = 12;
    model.actions = 16;
    model.action_hidden = 32;
    model.dropout = 0.1; // exercise the seeded dropout too
    train.epochs = epochs;
    train.anneal_epochs = 2;
    train.refine_epochs = 2;
    train.batch = 20;
    let data = DataInfo {
        preset: ds.manifest.preset.clone(),
        domain: serde_json::to_value(&ds.manifest.domain).unwrap(),
        code_len: ds.manifest.code_len,
    };
    RunConfig {
        format_version: FORMAT_VERSION,
        model,
        train,
        data,
    }
}

fn train_data(ds: &Dataset) -> TrainData<'_> {
    let m = &ds.manifest;
    TrainData {
        pairs: super::data::Pairs {
            shape: m.shape,
            pre: &ds.pre,
            suc: &ds.suc,
        },
        split: Split {
            train: m.split.train_range(),
            val: m.split.val_range(),
        },
    }
}

/// Stops training after `after` epochs, as a kill would (the checkpoint is written first).
struct StopAfter(usize);

impl Observer for StopAfter {
    fn event(&mut self, event: Event) -> ControlFlow<()> {
        match event {
            Event::Epoch(row) if row.epoch + 1 >= self.0 => ControlFlow::Break(()),
            _ => ControlFlow::Continue(()),
        }
    }
}

#[test]
fn resuming_gives_the_same_result_as_not_stopping() {
    let tmp = tempfile::tempdir().unwrap();
    let ds = dataset("lightsout3", 200, &tmp.path().join("data"));
    let cfg = small_config(&ds, 3); // 3 joint epochs, then 2 of action refinement
    let data = train_data(&ds);
    let dev = Device::Cpu;
    let whole = tmp.path().join("whole");
    let report = train_new(&whole, &cfg, &data, &dev, &mut Silent).unwrap();
    assert_eq!((report.epochs_done, report.stopped), (5, false));

    let split = tmp.path().join("split");
    let first = train_new(&split, &cfg, &data, &dev, &mut StopAfter(1)).unwrap();
    assert_eq!((first.epochs_done, first.stopped), (1, true));
    let err = train_new(&split, &cfg, &data, &dev, &mut Silent).unwrap_err();
    assert!(format!("{err:#}").contains("--resume"), "{err:#}");
    // Stopped again inside the refinement, whose codes are rebuilt on resuming.
    let again = resume(&split, None, &data, &dev, &mut StopAfter(4)).unwrap();
    assert_eq!((again.epochs_done, again.stopped), (4, true));
    let second = resume(&split, None, &data, &dev, &mut Silent).unwrap();
    assert_eq!(second.epochs_done, 5);

    let read = |dir: &Path| std::fs::read(dir.join("model.safetensors")).unwrap();
    assert_eq!(read(&whole), read(&split), "weights differ after resuming");
    let losses = |r: &super::train::TrainReport| r.last.as_ref().map(|l| (l.train, l.val)).unwrap();
    assert_eq!(losses(&report), losses(&second));
    let log = std::fs::read_to_string(split.join("log.csv")).unwrap();
    assert_eq!(log.lines().count(), 6, "header and five epochs:\n{log}");
    let phases: Vec<&str> = log
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(1).unwrap())
        .collect();
    assert_eq!(phases, ["joint", "joint", "joint", "actions", "actions"]);
    assert!(split.join("loss.png").is_file());
}

#[test]
fn bad_model_directories_get_clear_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let ds = dataset("lightsout3", 100, &tmp.path().join("lo3"));
    let cfg = small_config(&ds, 1);
    let run = tmp.path().join("run");
    train_new(&run, &cfg, &train_data(&ds), &Device::Cpu, &mut Silent).unwrap();
    assert!(Model::load(&run, &Device::Cpu).is_ok());

    let other = dataset("puzzle3x2-digits", 40, &tmp.path().join("p32"));
    let err = check_same_domain(&cfg, &other, &run)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("lightsout3") && err.contains("puzzle3x2-digits"),
        "{err}"
    );

    let weights = run.join("model.safetensors");
    let bytes = std::fs::read(&weights).unwrap();
    std::fs::write(&weights, &bytes[..bytes.len() / 2]).unwrap();
    let err = format!("{:#}", Model::load(&run, &Device::Cpu).err().unwrap());
    assert!(
        err.contains("model.safetensors") && err.contains("corrupt"),
        "{err}"
    );

    let missing = tmp.path().join("nothing");
    let err = format!("{:#}", Model::load(&missing, &Device::Cpu).err().unwrap());
    assert!(err.contains("not a model directory"), "{err}");
}

#[test]
fn inference_api_keeps_its_contracts() {
    let tmp = tempfile::tempdir().unwrap();
    let ds = dataset("lightsout3", 100, &tmp.path().join("lo3"));
    let cfg = small_config(&ds, 1);
    let run = tmp.path().join("run");
    train_new(&run, &cfg, &train_data(&ds), &Device::Cpu, &mut Silent).unwrap();
    let model = Model::load(&run, &Device::Cpu).unwrap();
    let images: Vec<_> = (0..5).map(|i| ds.pre_image(i)).collect();
    let z = model.encode(&images).unwrap();
    assert!(z.iter().all(|s| s.len() == 12 && s.iter().all(|&b| b <= 1)));
    assert_eq!(
        z,
        model.encode(&images).unwrap(),
        "eval mode is deterministic"
    );
    let decoded = model.decode(&z).unwrap();
    assert_eq!(decoded[0].shape(), ds.manifest.shape);
    let a = model.action_of(&z, &z).unwrap();
    assert!(a.iter().all(|&l| l < 16));
    // APPLY is STRIPS: per action, every bit is added, deleted or kept, whatever the state.
    let zeros = vec![vec![0u8; 12]; 16];
    let ones = vec![vec![1u8; 12]; 16];
    let labels: Vec<usize> = (0..16).collect();
    let (from0, from1) = (
        model.apply(&zeros, &labels).unwrap(),
        model.apply(&ones, &labels).unwrap(),
    );
    for s in &z {
        let next = model.apply(&vec![s.clone(); 16], &labels).unwrap();
        for (k, n) in next.iter().enumerate() {
            for f in 0..12 {
                let want = if from0[k][f] == 1 {
                    1
                } else if from1[k][f] == 0 {
                    0
                } else {
                    s[f]
                };
                assert_eq!(n[f], want, "action {k} bit {f}");
            }
        }
    }
    assert!(
        model.regress(&z, &a).is_err(),
        "an AMA3+ model has no regression"
    );
    let ama4 = RunConfig {
        model: super::ModelConfig {
            variant: super::Variant::Ama4Plus,
            ..cfg.model.clone()
        },
        ..cfg.clone()
    };
    let run4 = tmp.path().join("run4");
    train_new(&run4, &ama4, &train_data(&ds), &Device::Cpu, &mut Silent).unwrap();
    let model4 = Model::load(&run4, &Device::Cpu).unwrap();
    let back = model4.regress(&z, &a).unwrap();
    assert!(back.iter().all(|s| s.len() == 12));
    assert!(model.apply(&z, &[99; 5]).is_err());
    assert!(model.decode(&[vec![0u8; 3]]).is_err());
    let wrong = crate::domain::Image::filled(crate::domain::Shape::gray(5, 5), 0.0);
    assert!(model.encode(&[wrong]).is_err());
}

/// The tiny preset on the 3×2 puzzle (2000 pairs), end to end through
/// `workflow::train`, on the CPU: perfect reconstruction and successor
/// prediction on the 100 held-out pairs, within one pair. Measured (release,
/// one thread, 2-core machine): 60 joint + 40 refinement epochs in 54–59 s;
/// seeds 1, 2, 3 give 100 % reconstruction and 99 %, 100 %, 100 % exact
/// successors. The float kernels differ between CPUs (AVX2, AVX-512), and so
/// does the trained model: seed 2 gave 100 % until session 13 and gives 99 %
/// on the AMD EPYC (AVX-512) of session 14, so one pair of slack.
#[test]
fn tiny_training_run_learns_the_3x2_puzzle() {
    super::workflow::set_cpu_threads(1).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("p32");
    dataset("puzzle3x2-digits", 2000, &data);
    let opts = super::workflow::TrainOptions {
        preset: Preset::Tiny,
        epochs: None,
        seed: 2,
        resume: false,
        overrides: Vec::new(),
    };
    let run = tmp.path().join("run");
    let started = std::time::Instant::now();
    let (report, quality) =
        super::workflow::train(&data, &run, &opts, &Device::Cpu, &mut Silent).unwrap();
    let q = quality.unwrap();
    eprintln!("tiny run: {:.1} s, {q:?}", started.elapsed().as_secs_f64());
    assert_eq!(
        report.epochs_done,
        60 + 40,
        "the preset's 60 joint epochs, then its 40 of refinement"
    );
    assert!(run.join("quality.json").is_file());
    assert_eq!(q.pairs, 100);
    assert!(q.reconstruction >= 0.99, "{q:?}");
    assert!(q.successor >= 0.99, "{q:?}");
    assert!(q.stability >= 0.95, "{q:?}");
}

/// Latplan's convolutional AMA4+ network builds, runs a training step on small
/// images, and its eval-mode outputs have the documented shapes.
#[test]
fn conv_ama4_network_trains_a_step() {
    use super::data::{batch, Normalization, Pairs};
    use super::loss::summarize;
    use super::nets::Pass;
    use super::noise::Noise;
    use super::train::Session;
    let shape = crate::domain::Shape::gray(8, 6);
    let (mut model, train) = Preset::ConvAma4.configs(shape, 1);
    model.arch = Arch::Conv {
        channels: 4,
        kernel: 3,
    };
    model.bits = 10;
    model.actions = 12;
    model.action_hidden = 16;
    let n = 6;
    let pre: Vec<u8> = (0..n * shape.len())
        .map(|i| if i % 3 == 0 { 255 } else { 0 })
        .collect();
    let suc: Vec<u8> = pre.iter().rev().copied().collect();
    let pairs = Pairs {
        shape,
        pre: &pre,
        suc: &suc,
    };
    let norm = Normalization::from_pairs(&pairs, 0..n);
    let mut s = Session::new(&model, &train, norm, &Device::Cpu).unwrap();
    let idx: Vec<usize> = (0..n).collect();
    let b = batch(&pairs, &idx, &s.norm, model.output, &Device::Cpu).unwrap();
    let mut noise = Noise::new(crate::util::rng(1, 2));
    let mut pass = Pass::Train {
        noise: &mut noise,
        tau: 1.0,
    };
    let terms = s
        .model
        .terms(&b.x0, &b.x1, &b.t0, &b.t1, &mut pass)
        .unwrap();
    assert!(terms.backward.is_some(), "AMA4+ has the backward terms");
    let (loss, parts) = summarize(&terms, &model).unwrap();
    assert_eq!(parts.dims(), &[6]);
    s.optimizer
        .step(&loss.mean_all().unwrap().backward().unwrap())
        .unwrap();
    assert_eq!(s.model.encode(&b.x0).unwrap().dims(), &[n, 10]);
    assert_eq!(
        s.model
            .decode(&s.model.encode(&b.x0).unwrap())
            .unwrap()
            .dims(),
        &[n, 8, 6, 1]
    );
}

/// A network of `model` on the CPU with weights initialized from `seed`.
fn seeded_network(
    model: &super::ModelConfig,
    seed: u64,
) -> (candle_nn::VarMap, super::csae::CubeSpaceAe) {
    let varmap = candle_nn::VarMap::new();
    let vb = candle_nn::VarBuilder::from_varmap(&varmap, candle_core::DType::F32, &Device::Cpu);
    let net = super::csae::CubeSpaceAe::new(model, vb).unwrap();
    super::params::initialize(&varmap, &mut crate::util::rng(seed, 1)).unwrap();
    (varmap, net)
}

/// The E step's label costs (two matrix products, valid for 0/1 states) equal
/// APPLY's successor cross-entropy computed label by label.
#[test]
fn label_costs_equal_the_cross_entropy_of_every_label() {
    use candle_core::Tensor;
    let (mut model, _) = Preset::Tiny.configs(crate::domain::Shape::gray(4, 4), 1);
    (model.bits, model.actions, model.action_hidden) = (6, 5, 8);
    let (_varmap, net) = seeded_network(&model, 3);
    let bits = |seed: u32| -> Tensor {
        let v: Vec<f32> = (0..7 * 6)
            .map(|i| f32::from(u8::from((i * 7 + seed * 3) % 5 < 2)))
            .collect();
        Tensor::from_vec(v, (7, 6), &Device::Cpu).unwrap()
    };
    let (z, t) = (bits(1), bits(2));
    let tables = net.cost_tables().unwrap();
    let costs = net
        .label_costs(&tables, &z, &t)
        .unwrap()
        .to_vec2::<f32>()
        .unwrap(); // [7, 5]
    for a in 0..5u32 {
        let labels = Tensor::new(&[a; 7], &Device::Cpu).unwrap();
        let (_, _, succ) = net.refine_terms(&z, &t, &labels).unwrap();
        for (i, c) in succ.to_vec1::<f32>().unwrap().into_iter().enumerate() {
            let fast = costs[i][a as usize];
            assert!(
                (fast - c).abs() <= 1e-4 * c.abs().max(1.0),
                "{i} {a}: {fast} vs {c}"
            );
        }
    }
}

/// A seeded label turns its transition's state into its successor exactly
/// (AMA4+: and back through REGRESS), whatever the network learned before.
#[test]
fn seeded_labels_reproduce_their_transitions() {
    use candle_core::Tensor;
    let (mut model, _) = Preset::CpuMlpAma4.configs(crate::domain::Shape::gray(4, 4), 1);
    (model.bits, model.actions, model.action_hidden) = (8, 6, 8);
    model.arch = Arch::Mlp { hidden: vec![8] };
    let (varmap, net) = seeded_network(&model, 5);
    let z0 = vec![1., 0., 1., 1., 0., 0., 1., 0.];
    let z1 = vec![0., 0., 1., 1., 1., 0., 1., 1.];
    net.seed_labels(&varmap, &[(4, z0.clone(), z1.clone())])
        .unwrap();
    let one_hot = Tensor::new(&[[0f32, 0., 0., 0., 1., 0.]], &Device::Cpu).unwrap();
    let row = |v: &Vec<f32>| {
        Tensor::new(v.as_slice(), &Device::Cpu)
            .unwrap()
            .unsqueeze(0)
            .unwrap()
    };
    let next = net.apply(&row(&z0), &one_hot).unwrap().squeeze(0).unwrap();
    assert_eq!(next.to_vec1::<f32>().unwrap(), z1);
    let back = net
        .regress(&row(&z1), &one_hot)
        .unwrap()
        .unwrap()
        .squeeze(0)
        .unwrap();
    assert_eq!(back.to_vec1::<f32>().unwrap(), z0);
}
