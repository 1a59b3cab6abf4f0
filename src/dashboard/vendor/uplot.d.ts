// uPlot's ES module, copied next to the dashboard's scripts at build (scripts/build-dashboard.mjs).
import uPlot from 'uplot';
export default uPlot;
