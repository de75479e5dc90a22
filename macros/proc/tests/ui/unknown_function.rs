foil::activation!(Typo = x * sigmoid(x) + tahn(x));

fn main() {}
