import { BarController, BarElement, CategoryScale, Chart, Legend, LinearScale, LineController, LineElement, PointElement, Tooltip } from 'chart.js';
import type { Overview } from '../../server/overview';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, LineController, LineElement, PointElement, Legend, Tooltip);

/** Colours with contrast on light and dark backgrounds, one per outcome. */
const OUTCOME_COLOURS: Record<string, string> = {
  completed: '#2e7d32',
  transferred: '#1565c0',
  active: '#6a1b9a',
  missed: '#ef6c00',
  rejected: '#c62828',
  failed: '#4e342e',
  pending: '#757575',
};

/** Calls per day stacked by outcome, and the cost per day as a line on its own axis. */
export function drawDayChart(canvas: HTMLCanvasElement, overview: Overview): () => void {
  const outcomes = Object.keys(OUTCOME_COLOURS).filter((o) => overview.days.some((d) => d.byOutcome[o as keyof typeof d.byOutcome]));
  const chart = new Chart(canvas, {
    type: 'bar',
    data: {
      labels: overview.days.map((d) => d.day.slice(5)),
      datasets: [
        ...outcomes.map((o) => ({
          type: 'bar' as const,
          label: o,
          data: overview.days.map((d) => d.byOutcome[o as keyof typeof d.byOutcome] ?? 0),
          backgroundColor: OUTCOME_COLOURS[o],
          stack: 'calls',
          yAxisID: 'calls',
        })),
        {
          type: 'line' as const,
          label: 'cost (USD)',
          data: overview.days.map((d) => Number(d.costUsd.toFixed(4))),
          borderColor: '#888',
          backgroundColor: '#888',
          yAxisID: 'cost',
        },
      ],
    },
    options: {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      scales: {
        x: { stacked: true },
        calls: { type: 'linear', position: 'left', stacked: true, beginAtZero: true, ticks: { precision: 0 }, title: { display: true, text: 'calls' } },
        cost: { type: 'linear', position: 'right', beginAtZero: true, grid: { drawOnChartArea: false }, title: { display: true, text: 'USD' } },
      },
    },
  });
  return () => chart.destroy();
}
