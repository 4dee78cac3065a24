// The part of bpmn-js's navigated viewer (assets/bpmn/bpmn-viewer.js, a classic script defining window.BpmnJS) the
// web view uses.
export interface DiagramElement {
  id: string;
  type: string;
  businessObject?: { name?: string; $type?: string };
  waypoints?: unknown[];
}

export interface BpmnViewer {
  importXML(xml: string): Promise<{ warnings: unknown[] }>;
  destroy(): void;
  get(name: 'canvas'): {
    zoom(level: 'fit-viewport' | number, center?: 'auto'): number;
    addMarker(id: string, marker: string): void;
    removeMarker(id: string, marker: string): void;
    hasMarker(id: string, marker: string): boolean;
    resized(): void;
  };
  get(name: 'elementRegistry'): { getAll(): DiagramElement[]; get(id: string): DiagramElement | undefined };
  get(name: 'eventBus'): { on(event: string, cb: (e: { element: DiagramElement }) => void): void };
}

declare global {
  interface Window {
    BpmnJS?: new (o: { container: HTMLElement }) => BpmnViewer;
  }
}
