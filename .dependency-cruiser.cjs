// The import rules of lib/, checked by test/architecture.test.ts (and `npx depcruise lib`).
// ARCHITECTURE.md explains them; this file is their executable form, so the two stay one.
//
// A room is a folder of lib/ or a file at its top. Rooms sit on floors; a room may import
// its own files and rooms on lower floors, never a room on its own floor or above. Only the
// tensor core, nn and optim may import the addon binding (native.ts and native/).
'use strict';

/** Floors from the bottom; each lists its rooms (a folder, or a top-level file without .ts). */
const CORE_FLOOR = 5;
const FLOORS = [
  ['error-codes'],
  ['errors'],
  ['validate'],
  ['device', 'dtype', 'progress', 'version', 'assets'],
  ['native'],
  // The tensor core. Its rooms lean on each other (a Tensor's methods create Tensors), so
  // the floor-internal order is not a rule here; cycles are still forbidden module by module.
  ['scope', 'tensor', 'conversion-target', 'creation', 'functional', 'op-table', 'kernels', 'autograd', 'runtime', 'custom-function', 'tensor-size', 'io'],
  ['nn', 'optim'],
  ['data', 'plot', 'solvers'],
  ['paths'],
  ['couplings', 'losses', 'likelihood', 'metrics'],
  ['sample'],
  ['train'],
  ['run'],
  ['serve'],
  ['cli'],
  ['index'],
];

/** The tensor-core rooms that may reach the addon; everything else uses Tensor and typed functions. */
const TENSOR_CORE = [...FLOORS[CORE_FLOOR], 'nn', 'optim'];

const roomPattern = (rooms) => `^lib/(${rooms.join('|')})(/|\\.ts$)`;

const floorRules = FLOORS.flatMap((rooms, floor) => {
  const above = FLOORS.slice(floor + 1).flat();
  return above.length === 0 ? [] : [{
    name: `floor-${floor}-imports-only-below`,
    comment: `${rooms.join(', ')} may not import a room on a higher floor (${above.join(', ')})`,
    severity: 'error',
    from: { path: roomPattern(rooms) },
    to: { path: roomPattern(above) },
  }];
});

/** Rooms on one floor (outside the tensor core) may not import each other either: one direction would be arbitrary. */
const sameFloorRules = FLOORS.flatMap((rooms, floor) => floor === CORE_FLOOR || rooms.length < 2 ? [] : rooms.map((room) => ({
  name: `floor-${floor}-${room}-not-sideways`,
  comment: `${room} may not import the other rooms of its floor (${rooms.filter((r) => r !== room).join(', ')})`,
  severity: 'error',
  from: { path: roomPattern([room]) },
  to: { path: roomPattern(rooms.filter((r) => r !== room)) },
})));

module.exports = {
  forbidden: [
    {
      name: 'only-the-tensor-core-imports-native',
      comment: 'Domain rooms use Tensor and typed functions; only the tensor core, nn and optim reach the addon',
      severity: 'error',
      from: { path: '^lib/', pathNot: [roomPattern(TENSOR_CORE), '^lib/native(/|\\.ts$)'] },
      to: { path: '^lib/native(/|\\.ts$)' },
    },
    {
      name: 'no-cycles',
      comment: 'No import cycles between modules',
      severity: 'error',
      from: { path: '^lib/' },
      to: { circular: true },
    },
    {
      name: 'every-room-has-a-floor',
      comment: 'A new folder or top-level file of lib/ gets a floor in .dependency-cruiser.cjs (and ARCHITECTURE.md)',
      severity: 'error',
      from: { path: '^lib/', pathNot: roomPattern(FLOORS.flat()) },
      to: {},
    },
    ...floorRules,
    ...sameFloorRules,
  ],
  options: {
    tsConfig: { fileName: 'tsconfig.json' },
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)node_modules/' },
    tsPreCompilationDeps: true,
  },
};
