/**
 * Seed 002 §4.2 in PyTorch style: the CNNModel module and the seed's train() and test()
 * functions, written with fe.nn as close to the seed's Python as TypeScript allows.
 */
import * as fe from 'ferrite-ml';

const F = fe.nn.functional;

/**
 * The seed's PyTorch module, line for line: fe.nn modules own their weights from the moment
 * they are made (no dummy forward pass). ferrite is channels-last, so x is
 * [batch, 28, 28, 3] where PyTorch has [batch, 3, 28, 28].
 */
export class CNNModel extends fe.nn.Module {
  conv1: fe.nn.Conv2d;
  conv2: fe.nn.Conv2d;
  conv3: fe.nn.Conv2d;
  fc1: fe.nn.Linear;
  fc2: fe.nn.Linear;

  constructor(numClasses: number) {
    super();
    this.conv1 = fe.nn.conv2d(3, 16, 3, { padding: 1 });
    this.conv2 = fe.nn.conv2d(16, 32, 3, { padding: 1 });
    this.conv3 = fe.nn.conv2d(32, 64, 3, { padding: 1 });
    this.fc1 = fe.nn.linear(64 * 7 * 7, 128);
    this.fc2 = fe.nn.linear(128, numClasses);
  }

  forward(x: fe.Tensor): fe.Tensor {
    x = F.relu(this.conv1.forward(x));
    x = F.maxPool2d(F.relu(this.conv2.forward(x)), 2);
    x = F.relu(this.conv3.forward(x));
    x = F.maxPool2d(F.relu(x), 2);
    x = x.reshape([-1, 64 * 7 * 7]);
    x = F.relu(this.fc1.forward(x));
    x = this.fc2.forward(x);
    return x;
  }
}

export interface Batch {
  input: fe.Tensor;
  target: fe.Tensor;
}

/** The seed's train(): one step on a batch. */
export function trainStep(model: CNNModel, data: Batch, optimizer: fe.Optimizer, criterion: fe.nn.LossModule): number {
  model.train();
  optimizer.zeroGrad();
  const output = model.forward(data.input);
  const loss = criterion(output, data.target);
  loss.backward();
  optimizer.step();
  return loss.item();
}

/** The seed's test(): the outputs in inference mode. */
export function testStep(model: CNNModel, data: Batch): fe.Tensor {
  model.eval();
  const output = fe.noGrad(() => model.forward(data.input));
  return output;
}

