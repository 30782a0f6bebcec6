"""A tiny processing script: what netcheck hands over to after its checks."""
import os
import socket

print(f"processing on {socket.gethostname()}: inputs {os.listdir('/opt/ml/processing/input') if os.path.isdir('/opt/ml/processing/input') else []}")
