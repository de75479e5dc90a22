foil::adversarial!(S = x*sigmoid(x));

fn main() {}
