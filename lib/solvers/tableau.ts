/**
 * Butcher tableaux: every Runge–Kutta method here is data read by one core (rk-step.ts).
 * Coefficients follow torchdiffeq 0.2.5 so that the adaptive solvers reproduce it step for
 * step; where torchdiffeq departs from the textbook (dopri5's error weights, the stage
 * carried into the next step by adaptive_heun and fehlberg2) the departure is kept.
 */
export interface ButcherTableau {
  /** Stage times as fractions of the step, c[0] = 0 included. */
  readonly c: readonly number[];
  /** a[i] holds the weights of stages 0..i for the input of stage i + 1. */
  readonly a: readonly (readonly number[])[];
  /** Solution weights, one per stage. */
  readonly b: readonly number[];
  /** Weights of the error estimate (solution minus embedded solution); adaptive methods only. */
  readonly bError?: readonly number[];
  /** Weights giving y at the middle of the step, for the quartic dense output; adaptive only. */
  readonly mid?: readonly number[];
  /** Order of the solution, used by the step-size controller and the first-step heuristic. */
  readonly order: number;
}

/** Whether the last stage's input is the solution itself (first same as last), saving a sum. */
export function isFsal(t: ButcherTableau): boolean {
  const last = t.a[t.a.length - 1];
  return t.b[t.b.length - 1] === 0 && last !== undefined && last.length === t.b.length - 1 && last.every((w, i) => w === t.b[i]);
}

// ---- fixed-grid methods ------------------------------------------------------------------

export const EULER: ButcherTableau = { c: [0], a: [], b: [1], order: 1 };

export const MIDPOINT: ButcherTableau = { c: [0, 1 / 2], a: [[1 / 2]], b: [0, 1], order: 2 };

export const HEUN2: ButcherTableau = { c: [0, 1], a: [[1]], b: [1 / 2, 1 / 2], order: 2 };

export const HEUN3: ButcherTableau = { c: [0, 1 / 3, 2 / 3], a: [[1 / 3], [0, 2 / 3]], b: [1 / 4, 0, 3 / 4], order: 3 };

/** Kutta's 3/8 rule, which torchdiffeq's 'rk4' uses (smaller error constant than the classic RK4). */
export const RK4_38: ButcherTableau = {
  c: [0, 1 / 3, 2 / 3, 1],
  a: [[1 / 3], [-1 / 3, 1], [1, -1, 1]],
  b: [1 / 8, 3 / 8, 3 / 8, 1 / 8],
  order: 4,
};

// ---- adaptive methods --------------------------------------------------------------------

/** Dormand–Prince 5(4) with Shampine's mid-step weights for dense output. */
export const DOPRI5: ButcherTableau = {
  c: [0, 1 / 5, 3 / 10, 4 / 5, 8 / 9, 1, 1],
  a: [
    [1 / 5],
    [3 / 40, 9 / 40],
    [44 / 45, -56 / 15, 32 / 9],
    [19372 / 6561, -25360 / 2187, 64448 / 6561, -212 / 729],
    [9017 / 3168, -355 / 33, 46732 / 5247, 49 / 176, -5103 / 18656],
    [35 / 384, 0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84],
  ],
  b: [35 / 384, 0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84, 0],
  // torchdiffeq subtracts these embedded weights (not the textbook's 5179/57600, …), so its
  // error estimate, and with it every accept/reject decision, depends on them.
  bError: [
    35 / 384 - 1951 / 21600,
    0,
    500 / 1113 - 22642 / 50085,
    125 / 192 - 451 / 720,
    -2187 / 6784 - -12231 / 42400,
    11 / 84 - 649 / 6300,
    -1 / 60,
  ],
  mid: [
    6025192743 / 30085553152 / 2,
    0,
    51252292925 / 65400821598 / 2,
    -2691868925 / 45128329728 / 2,
    187940372067 / 1594534317056 / 2,
    -1776094331 / 19743644256 / 2,
    11237099 / 235043384 / 2,
  ],
  order: 5,
};

/** Bogacki–Shampine 3(2). */
export const BOSH3: ButcherTableau = {
  c: [0, 1 / 2, 3 / 4, 1],
  a: [[1 / 2], [0, 3 / 4], [2 / 9, 1 / 3, 4 / 9]],
  b: [2 / 9, 1 / 3, 4 / 9, 0],
  bError: [2 / 9 - 7 / 24, 1 / 3 - 1 / 4, 4 / 9 - 1 / 3, -1 / 8],
  mid: [0, 1 / 2, 0, 0],
  order: 3,
};

/** Heun–Euler 2(1). */
export const ADAPTIVE_HEUN: ButcherTableau = {
  c: [0, 1],
  a: [[1]],
  b: [1 / 2, 1 / 2],
  bError: [1 / 2, -1 / 2],
  mid: [1 / 2, 0],
  order: 2,
};

/** Fehlberg's RK1(2) as torchdiffeq ships it: propagates the 2nd-order solution. */
export const FEHLBERG2: ButcherTableau = {
  c: [0, 1 / 2, 1],
  a: [[1 / 2], [1 / 256, 255 / 256]],
  b: [1 / 512, 255 / 256, 1 / 512],
  bError: [-1 / 512, 0, 1 / 512],
  mid: [0, 1 / 2, 0],
  order: 2,
};

/**
 * Dense-output weight of one stage at the middle of a dopri8 step: Hairer's quintic in the
 * step fraction θ, evaluated at θ = 1/2 with torchdiffeq's operation order so the doubles match.
 */
function dop853Mid(p5: number, p4: number, p3: number, p2: number, p1: number, p0 = 0): number {
  const h = 1 / 2;
  return (p5 * h ** 5 + p4 * h ** 4 + p3 * h ** 3 + p2 * h ** 2 + p1 * h + p0) / (1 / h);
}

/** Prince–Dormand 8(7) (the RK8(7)13M coefficients), FSAL with a 14th stage. */
export const DOPRI8: ButcherTableau = {
  c: [0, 1 / 18, 1 / 12, 1 / 8, 5 / 16, 3 / 8, 59 / 400, 93 / 200, 5490023248 / 9719169821, 13 / 20, 1201146811 / 1299019798, 1, 1, 1],
  a: [
    [1 / 18],
    [1 / 48, 1 / 16],
    [1 / 32, 0, 3 / 32],
    [5 / 16, 0, -75 / 64, 75 / 64],
    [3 / 80, 0, 0, 3 / 16, 3 / 20],
    [29443841 / 614563906, 0, 0, 77736538 / 692538347, -28693883 / 1125000000, 23124283 / 1800000000],
    [16016141 / 946692911, 0, 0, 61564180 / 158732637, 22789713 / 633445777, 545815736 / 2771057229, -180193667 / 1043307555],
    [39632708 / 573591083, 0, 0, -433636366 / 683701615, -421739975 / 2616292301, 100302831 / 723423059, 790204164 / 839813087, 800635310 / 3783071287],
    [246121993 / 1340847787, 0, 0, -37695042795 / 15268766246, -309121744 / 1061227803, -12992083 / 490766935, 6005943493 / 2108947869, 393006217 / 1396673457,
      123872331 / 1001029789],
    [-1028468189 / 846180014, 0, 0, 8478235783 / 508512852, 1311729495 / 1432422823, -10304129995 / 1701304382, -48777925059 / 3047939560,
      15336726248 / 1032824649, -45442868181 / 3398467696, 3065993473 / 597172653],
    [185892177 / 718116043, 0, 0, -3185094517 / 667107341, -477755414 / 1098053517, -703635378 / 230739211, 5731566787 / 1027545527,
      5232866602 / 850066563, -4093664535 / 808688257, 3962137247 / 1805957418, 65686358 / 487910083],
    [403863854 / 491063109, 0, 0, -5068492393 / 434740067, -411421997 / 543043805, 652783627 / 914296604, 11173962825 / 925320556,
      -13158990841 / 6184727034, 3936647629 / 1978049680, -160528059 / 685178525, 248638103 / 1413531060, 0],
    [14005451 / 335480064, 0, 0, 0, 0, -59238493 / 1068277825, 181606767 / 758867731, 561292985 / 797845732, -1041891430 / 1371343529,
      760417239 / 1151165299, 118820643 / 751138087, -528747749 / 2220607170, 1 / 4],
  ],
  b: [14005451 / 335480064, 0, 0, 0, 0, -59238493 / 1068277825, 181606767 / 758867731, 561292985 / 797845732, -1041891430 / 1371343529,
    760417239 / 1151165299, 118820643 / 751138087, -528747749 / 2220607170, 1 / 4, 0],
  bError: [
    14005451 / 335480064 - 13451932 / 455176623, 0, 0, 0, 0,
    -59238493 / 1068277825 - -808719846 / 976000145,
    181606767 / 758867731 - 1757004468 / 5645159321,
    561292985 / 797845732 - 656045339 / 265891186,
    -1041891430 / 1371343529 - -3867574721 / 1518517206,
    760417239 / 1151165299 - 465885868 / 322736535,
    118820643 / 751138087 - 53011238 / 667516719,
    -528747749 / 2220607170 - 2 / 45,
    1 / 4,
    0,
  ],
  mid: [
    dop853Mid(-6.3448349392860401388, 22.1396504998094068976, -30.0610568289666450593, 19.9990069333683970610, -6.6910181737837595697, 1.0),
    0, 0, 0, 0,
    dop853Mid(-39.6107919852202505218, 116.4422149550342161651, -121.4999627731334642623, 52.2273532792945524050, -7.6142658045872677172),
    dop853Mid(20.3761213808791436958, -67.1451318825957197185, 83.1721004639847717481, -46.8919164181093621583, 10.7281392630428866124),
    dop853Mid(7.3347098826795362023, -16.5672243527496524646, 9.5724507555993664382, -0.1890893225010595467, 0.5526637063753648783),
    dop853Mid(32.8801774352459155182, -89.9916014847245016028, 87.8406057677205645007, -35.7075975946222072821, 4.2186562625665153803),
    dop853Mid(-10.1588990526426760954, 22.6237489648532849093, -17.4152107770762969005, 6.2736448083240352160, -0.6627209125361597559),
    dop853Mid(-12.5401268098782561200, 32.2362340167355370113, -28.5903289514790976966, 10.3160881272450748458, -1.2636789001135462218),
    dop853Mid(29.5553001484516038033, -82.1020315488359848644, 81.6630950584341412934, -34.7650769866611817349, 5.4106037898590422230),
    dop853Mid(-41.7923486424390588923, 116.2662185791119533462, -114.9375291377009418170, 47.7457971078225540396, -7.0321379067945741781),
    dop853Mid(20.3006925822100825485, -53.9020777466385396792, 50.2558364226176017553, -19.0082099341608028453, 2.3537586759714983486),
  ],
  order: 8,
};
