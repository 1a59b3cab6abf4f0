export {
  DEMO_ROOM,
  DEMO_ROSTER,
  DEMO_TEACHER,
  startSimulatedClass,
  type SimulatedClass,
} from './simulated-class.js';
