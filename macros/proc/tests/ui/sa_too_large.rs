// Five numeric piecewise-polynomial terms fitted on both sides (shifted, so
// 1/t' is not even and no weighted fit applies): more operations than one
// generated function holds (gelu_tanh's SA alone, mirrored, is emitted, and
// so are two shifted terms since each term's pieces share one polynomial).
foil::adversarial!(Big = gelu_tanh(x + 0.5) + gelu_tanh(x/2 + 0.5) + gelu_tanh(x/3 + 0.5) + gelu_tanh(x/4 + 0.5) + gelu_tanh(x/5 + 0.5), mode = split);

fn main() {}
