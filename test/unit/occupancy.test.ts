import { expect } from 'chai';
import { cellZoom, tileCells } from '../../server/tiles/occupancy.ts';

describe('tile occupancy cells', () => {
  it('gives a z14 tile its own cell and its neighbours (its buffer reaches into them)', () => {
    expect(tileCells({ z: cellZoom, x: 100, y: 200 })).to.deep.equal({ z: cellZoom, minX: 99, minY: 199, maxX: 101, maxY: 201 });
  });

  it('gives a z16 tile inside a cell only that cell, and one on the cell edge the neighbour too', () => {
    // Cell 100 holds z16 columns 400..403: 401 is inside, 400 touches the western neighbour with its buffer.
    expect(tileCells({ z: 16, x: 401, y: 801 })).to.deep.include({ minX: 100, maxX: 100, minY: 200, maxY: 200 });
    expect(tileCells({ z: 16, x: 400, y: 803 })).to.deep.include({ minX: 99, maxX: 100, minY: 200, maxY: 201 });
  });

  it('gives a z12 tile its 4 x 4 cells and the ring its buffer reaches', () => {
    expect(tileCells({ z: 12, x: 25, y: 50 })).to.deep.include({ minX: 99, maxX: 104, minY: 199, maxY: 204 });
  });
});
