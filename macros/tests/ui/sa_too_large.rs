// gelu_tanh's SA is a numeric piecewise polynomial: too large for one kernel.
foil::adversarial!(GeluTanhSa = gelu_tanh(x), mode = split);

fn main() {}
