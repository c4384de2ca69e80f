//! Contract tests run on every domain and tile source: render/parse round
//! trips, legal moves, rejections, sizes (Latplan's), text forms.

use super::preset::{DomainConfig, Preset, BUILTIN};
use super::puzzle::TileSource;
use super::{Domain, Image, Rejection, Shape};
use crate::util::rng;

/// Every built-in preset that needs no user files, built.
fn builtin_domains() -> Vec<(String, Box<dyn Domain>)> {
    BUILTIN
        .iter()
        .filter(|(name, _)| *name != "puzzle8-tiles")
        .map(|(name, _)| {
            (
                name.to_string(),
                Preset::load(name).unwrap().domain.build().unwrap(),
            )
        })
        .collect()
}

/// The 8-puzzle with the given tile source.
fn puzzle8(tiles: TileSource) -> Box<dyn Domain> {
    let mut preset = Preset::load("puzzle8-digits").unwrap();
    preset.override_tiles(tiles).unwrap();
    preset.domain.build().unwrap()
}

/// Writes 9 distinct tile pictures of varying sizes and formats into `dir`.
fn write_tile_folder(dir: &std::path::Path) {
    for n in 0..9usize {
        let (h, w) = (20 + n, 30 - n);
        let mut img = Image::filled(Shape::rgb(h, w), 0.0);
        for y in 0..h {
            for x in 0..w {
                let on = (x * (n + 1) / w + y * (9 - n) / h) % 2 == 0;
                img.set(y, x, n % 3, if on { 1.0 } else { 0.1 });
            }
        }
        let ext = if n % 2 == 0 { "png" } else { "bmp" };
        let bytes = img.to_png().unwrap();
        let decoded = image::load_from_memory(&bytes).unwrap();
        decoded.save(dir.join(format!("{n}.{ext}"))).unwrap();
    }
}

fn assert_round_trips(name: &str, domain: &dyn Domain, samples: usize) {
    let mut r = rng(3, 0);
    let mut jitter = rng(4, 0);
    for _ in 0..samples {
        let s = domain.random_state(&mut r);
        assert_eq!(s.len(), domain.code_len());
        let img = domain.render(&s, &mut jitter);
        assert_eq!(img.shape(), domain.shape(), "{name}");
        let parsed = domain
            .parse(&img)
            .unwrap_or_else(|e| panic!("{name}: {e} for {}", domain.format(&s)));
        assert_eq!(parsed.state, s, "{name}: {}", domain.format(&s));
        // Worlds with jitter (Blocksworld) measure the distance to their
        // jitter-free picture; all others render exactly their template.
        // blocks4-fixed's jitter is per state, the same for every seed.
        let jittered = domain.render(&s, &mut rng(1, 1)) != domain.render(&s, &mut rng(2, 1))
            || name == "blocks4-fixed";
        let bound = if jittered { 0.2 } else { 1e-6 };
        assert!(
            parsed.distance < bound,
            "{name}: rendering at distance {}",
            parsed.distance
        );
        assert_eq!(
            domain.read(&domain.format(&s)).unwrap(),
            s,
            "{name}: text round trip"
        );
    }
}

#[test]
fn parse_inverts_render_for_every_builtin_domain() {
    for (name, domain) in builtin_domains() {
        assert_round_trips(&name, domain.as_ref(), 200);
    }
}

#[test]
fn parse_inverts_render_for_every_tile_source() {
    let dir = tempfile::tempdir().unwrap();
    write_tile_folder(dir.path());
    let picture = dir.path().join("picture.png");
    let mut pic = Image::filled(Shape::rgb(90, 120), 0.0);
    for y in 0..90 {
        for x in 0..120 {
            pic.set(y, x, (x / 40) % 3, ((x * 7 + y * 3) % 50) as f32 / 50.0);
            pic.set(y, x, 1, ((x / 13 + y / 11) % 4) as f32 / 3.0);
        }
    }
    pic.save_png(&picture).unwrap();
    for tiles in [
        TileSource::Digits { seed: 5 },
        TileSource::Picture { path: None },
        TileSource::Picture {
            path: Some(picture),
        },
        TileSource::Folder {
            path: dir.path().into(),
        },
    ] {
        let label = tiles.describe();
        assert_round_trips(&label, puzzle8(tiles).as_ref(), 100);
    }
}

#[test]
fn image_sizes_are_latplans() {
    let expect = [
        ("puzzle8-digits", Shape::gray(48, 48)),
        ("puzzle15-picture", Shape::gray(56, 56)),
        ("lightsout5", Shape::gray(45, 45)),
        ("lightsout5-twisted", Shape::gray(47, 47)),
        ("lightsout4", Shape::gray(36, 36)),
        ("hanoi4-4", Shape::rgb(4, 16)),
        ("hanoi5-9", Shape::rgb(5, 36)),
        ("sokoban7", Shape::rgb(28, 28)),
        ("blocks4", Shape::rgb(32, 48)),
    ];
    for (name, shape) in expect {
        let d = Preset::load(name).unwrap().domain.build().unwrap();
        assert_eq!(d.shape(), shape, "{name}");
    }
}

#[test]
fn successors_are_legal_and_predecessors_invert_them() {
    for (name, d) in builtin_domains() {
        let mut r = rng(9, 0);
        for _ in 0..50 {
            let s = d.random_state(&mut r);
            for t in d.successors(&s) {
                assert!(d.is_move(&s, &t), "{name}");
                assert!(
                    d.predecessors(&t).contains(&s),
                    "{name}: predecessors invert successors"
                );
            }
        }
    }
}

#[test]
fn parser_rejects_duplicate_tiles_blank_and_noise() {
    let d = Preset::load("puzzle8-digits")
        .unwrap()
        .domain
        .build()
        .unwrap();
    let goal = d.render(&d.goal(), &mut rng(0, 0));
    let mut dup = goal.clone();
    dup.paste(&goal.crop(0, 16, 16, 16), 0, 0); // tile 1 also where tile 0 is
    let err = d.parse(&dup).unwrap_err().to_string();
    assert!(err.contains("tile 1 appears twice"), "{err}");
    for (what, img) in [
        ("black", Image::filled(d.shape(), 0.0)),
        ("gray", Image::filled(d.shape(), 0.5)),
        ("noise", noise(d.shape())),
    ] {
        assert!(d.parse(&img).is_err(), "puzzle accepted a {what} image");
    }
    for name in ["lightsout5", "lightsout5-twisted"] {
        let d = Preset::load(name).unwrap().domain.build().unwrap();
        for (what, img) in [
            ("white", Image::filled(d.shape(), 1.0)),
            ("gray", Image::filled(d.shape(), 0.5)),
            ("noise", noise(d.shape())),
        ] {
            let err = d.parse(&img).expect_err(what).to_string();
            assert!(err.contains("matches no template"), "{name} {what}: {err}");
        }
    }
}

#[test]
fn parser_rejects_wrong_shape() {
    let d = Preset::load("lightsout4").unwrap().domain.build().unwrap();
    let err = d
        .parse(&Image::filled(Shape::gray(10, 36), 0.0))
        .unwrap_err();
    assert!(matches!(err, Rejection::WrongShape { .. }));
    assert!(err.to_string().contains("expected 36×36"), "{err}");
}

#[test]
fn parser_tolerates_mild_noise() {
    let d = Preset::load("puzzle8-digits")
        .unwrap()
        .domain
        .build()
        .unwrap();
    let s = d.random_state(&mut rng(1, 0));
    let mut img = d.render(&s, &mut rng(0, 0));
    img.add_noise(0.05, &mut rng(2, 0));
    let parsed = d.parse(&img).unwrap();
    assert_eq!(parsed.state, s);
    assert!(parsed.distance > 0.0);
}

fn noise(shape: Shape) -> Image {
    use rand::Rng as _;
    let mut r = rng(11, 0);
    Image::from_vec(shape, (0..shape.len()).map(|_| r.random::<f32>()).collect()).unwrap()
}

/// The presets whose defaults (`transitions`, `steps`) are sized to them make
/// their default data and 20 problems per default length (the evaluation
/// protocol): Blocksworld, Hanoi, Sokoban, and the small puzzles and LightsOut
/// boards (whose `steps` lines keep to lengths that have 20 states).
#[test]
fn presets_make_their_default_data_and_problems() {
    let small = [
        "lightsout3",
        "lightsout4",
        "puzzle3x2-digits",
        "puzzle8-digits",
    ];
    let worlds = builtin_domains()
        .into_iter()
        .map(|(name, d)| (Preset::load(&name).unwrap(), d));
    for (preset, domain) in worlds.filter(|(p, _)| {
        small.contains(&p.name.as_str())
            || matches!(
                p.domain,
                DomainConfig::Hanoi(_) | DomainConfig::Sokoban(_) | DomainConfig::Blocks(_)
            )
    }) {
        let name = &preset.name;
        let pairs = domain
            .sample_transitions(preset.transitions, &mut rng(1, 0))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(pairs.len(), preset.transitions, "{name}");
        for &steps in &preset.steps {
            let problems = domain
                .problems(steps, 20, &mut rng(1, 0))
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(problems.len(), 20, "{name}: {steps}");
            assert!(problems.iter().all(|p| p.optimal == steps), "{name}");
        }
    }
}
