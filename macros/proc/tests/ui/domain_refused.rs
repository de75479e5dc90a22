foil::adversarial!(R = isru(x, -1));

fn main() {}
