foil::activation!(Bad = tanh(x) + * 2);

fn main() {}
