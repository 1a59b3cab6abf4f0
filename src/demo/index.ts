export { DEMO_ROOM, startSimulatedClass, type SimulatedClass } from './simulated-class.js';
