import { ChatPage } from './chat-page';
import { ChatView } from './chat-view';

new ChatPage(new ChatView()).start();
