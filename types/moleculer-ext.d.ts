// Brings moleculer-web's type augmentation (`rest` on actions, `settings.rest`) into every file.
import 'moleculer-web';
