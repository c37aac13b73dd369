//! The LANGUAGE.md §11 examples check without errors.

use super::*;

fn example(n: u32) -> &'static str {
    match n {
        1 => include_str!("programs/ex11_1.aria"),
        2 => include_str!("programs/ex11_2.aria"),
        3 => include_str!("programs/ex11_3.aria"),
        4 => include_str!("programs/ex11_4.aria"),
        5 => include_str!("programs/ex11_5.aria"),
        6 => include_str!("programs/ex11_6.aria"),
        7 => include_str!("programs/ex11_7.aria"),
        8 => include_str!("programs/ex11_8.aria"),
        9 => include_str!("programs/ex11_9.aria"),
        _ => unreachable!(),
    }
}

fn clean(n: u32) -> crate::tast::Program {
    let src = example(n);
    let (p, diags) = run(src);
    assert!(diags.is_empty(), "example 11.{n}:\n{}", show(src, &diags));
    p.expect("no errors")
}

#[test]
fn ex_11_1_hello() {
    clean(1);
}
#[test]
fn ex_11_2_literals() {
    clean(2);
}
#[test]
fn ex_11_3_result_rule() {
    clean(3);
}
#[test]
fn ex_11_4_control_flow() {
    clean(4);
}
#[test]
fn ex_11_5_closures() {
    clean(5);
}
#[test]
fn ex_11_6_tasks() {
    // `t.await()` in sync main: no W0002.
    clean(6);
}
#[test]
fn ex_11_7_failures() {
    clean(7);
}
#[test]
fn ex_11_8_channels() {
    clean(8);
}
#[test]
fn ex_11_9_tcp() {
    clean(9);
}
