// Three numeric piecewise-polynomial terms: 13,263 operations, more than one
// generated function holds (one such term, gelu_tanh's SA alone, is emitted).
foil::adversarial!(Big = gelu_tanh(x) + gelu_tanh(x/2) + gelu_tanh(x/3), mode = split);

fn main() {}
