foil::activation!(tanh(x));

fn main() {}
