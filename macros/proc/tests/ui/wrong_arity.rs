foil::activation!(Pair = 2 * min(x));

fn main() {}
